import { For } from 'solid-js'
import type { UsageRow } from '../api/schemas.ts'
import { count, usd } from '../format.ts'
import { TableWrap } from './page.tsx'

/** Requests, tokens and spend per model or per key. */
export function Breakdown(props: { rows: UsageRow[]; label: (row: UsageRow) => string; heading: string; /** The table's accessible name; `By <heading>` by default. */ name?: string }) {
  const sorted = () => [...props.rows].sort((a, b) => Number(BigInt(b.cost_micro_usd) - BigInt(a.cost_micro_usd)))
  return (
    <TableWrap label={props.name ?? `By ${props.heading.toLowerCase()}`}>
      <table>
        <thead>
          <tr>
            <th scope="col">{props.heading}</th>
            <th scope="col" class="num">Requests</th>
            <th scope="col" class="num">Tokens in / out</th>
            <th scope="col" class="num">Spend</th>
          </tr>
        </thead>
        <tbody>
          <For each={sorted()}>
            {(row) => (
              <tr>
                <th scope="row">{props.label(row)}</th>
                <td class="num">{count(row.requests)}</td>
                <td class="num">
                  {count(row.prompt_tokens)} / {count(row.completion_tokens)}
                </td>
                <td class="num">{usd(row.cost_micro_usd)}</td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </TableWrap>
  )
}
