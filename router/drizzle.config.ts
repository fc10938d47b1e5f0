import { defineConfig } from 'drizzle-kit'

// `npx drizzle-kit generate` (from router/) writes a migration for each schema change; commit it.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/index.ts',
  out: './drizzle',
  strict: true,
})
