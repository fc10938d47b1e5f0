import { render } from 'solid-js/web'
import { createRouterApi } from './api/client.ts'
import { App } from './app.tsx'
import './styles.css'

render(() => <App api={createRouterApi()} />, document.getElementById('root')!)
