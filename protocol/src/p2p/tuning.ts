import { Socket } from 'node:net'
import { defaultLogger, enabled } from '@libp2p/logger'
import type { ComponentLogger, ConnectionEncrypter, Logger, MessageStream } from '@libp2p/interface'

const noop = () => {}

/**
 * libp2p's loggers for the components `DEBUG` enables, and cheap silent ones for the rest. libp2p makes several loggers for every stream it opens, and its default creates each
 * through `debug`, which asks `isatty` about stderr every time: eight system calls per
 * inference request, for lines nobody reads. `DEBUG=libp2p:*` still shows everything.
 */
export function quietLogger(): ComponentLogger {
  const loud = defaultLogger()
  const forComponent = (name: string): Logger => {
    if (enabled(name) || enabled(`${name}:error`) || enabled(`${name}:trace`)) return loud.forComponent(name)
    // A function of its own: loggers are scoped from one another through newScope.
    return Object.assign(() => {}, { enabled: false, error: noop, trace: noop, newScope: (scope: string) => forComponent(`${name}:${scope}`) })
  }
  return { forComponent }
}

/**
 * Wraps a connection encrypter (noise) so that everything written to a TCP connection during
 * one tick leaves in one `writev`. libp2p's TCP connection calls `socket.write` once per
 * chunk, and noise sends every message as two chunks (length, ciphertext), so one inference
 * request cost about 36 write system calls on each side. Corking the socket until the next
 * tick keeps the order and the backpressure (`write` still answers whether the socket is
 * full) and sends them together. Connections that are not TCP sockets are left alone.
 * @example
 * createLibp2p({ connectionEncrypters: [corkedWrites(noise())], … })
 */
export function corkedWrites<C, E>(encrypter: (components: C) => ConnectionEncrypter<E>): (components: C) => ConnectionEncrypter<E> {
  return (components) => {
    const inner = encrypter(components)
    return {
      protocol: inner.protocol,
      secureInbound: (connection, options) => inner.secureInbound(corkEachTick(connection), options),
      secureOutbound: (connection, options) => inner.secureOutbound(corkEachTick(connection), options),
    }
  }
}

/** The stream-side hook every libp2p message stream sends through, with the socket a TCP one writes to. */
interface SocketStream {
  socket?: unknown
  sendData?: (data: unknown) => unknown
}

function corkEachTick(connection: MessageStream): MessageStream {
  const stream = connection as MessageStream & SocketStream
  const { socket, sendData } = stream
  if (!(socket instanceof Socket) || typeof sendData !== 'function') return connection
  let corked = false
  const uncork = () => {
    corked = false
    socket.uncork()
  }
  stream.sendData = function (this: unknown, data: unknown) {
    if (!corked && !socket.destroyed) {
      corked = true
      socket.cork()
      process.nextTick(uncork)
    }
    return sendData.call(this, data)
  }
  return connection
}
