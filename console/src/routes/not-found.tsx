import { A } from '@solidjs/router'
import { Page } from '../components/page.tsx'

export function NotFound() {
  return (
    <Page title="Page not found">
      <p>
        There is no such page in the console. Go to the <A href="/">overview</A>.
      </p>
    </Page>
  )
}
