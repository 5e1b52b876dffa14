// The js-libp2p interop client (tests/interop/README.md): dials a peerd libp2p node,
// checks identify and ping, subscribes to the chain's block topic and waits for the
// node's topic subscriptions and one gossiped block. Prints one JSON object and exits 0
// only if all of that happened within the time given.
//
//   node client.mjs <multiaddr with /p2p/> <chain> [seconds]

// libp2p 3 uses Promise.withResolvers (Node 22); Node 20, on the project's machines,
// lacks it.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function () {
    let resolve, reject
    const promise = new Promise((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}

const { createLibp2p } = await import('libp2p')
const { tcp } = await import('@libp2p/tcp')
const { noise } = await import('@chainsafe/libp2p-noise')
const { yamux } = await import('@chainsafe/libp2p-yamux')
const { identify } = await import('@libp2p/identify')
const { ping } = await import('@libp2p/ping')
const { gossipsub } = await import('@libp2p/gossipsub')
const { multiaddr } = await import('@multiformats/multiaddr')

const [target, chain, secs = '20'] = process.argv.slice(2)
if (!target || !chain) {
  console.error('usage: node client.mjs <multiaddr with /p2p/> <chain> [seconds]')
  process.exit(2)
}

const node = await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: { identify: identify(), ping: ping(), pubsub: gossipsub() },
})

const topic = `peerd/${chain}/block`
const result = { agent: null, protocols: [], rtt_ms: null, subscriptions: [], block: null, streams: [] }
node.services.pubsub.subscribe(topic)
node.services.pubsub.addEventListener('subscription-change', (event) => {
  for (const s of event.detail.subscriptions) {
    if (s.subscribe && !result.subscriptions.includes(s.topic)) result.subscriptions.push(s.topic)
  }
})
node.services.pubsub.addEventListener('message', (event) => {
  const { topic: on, data } = event.detail
  if (on !== topic || result.block) return
  // The message is the CBOR array of the item's parameter frames: a block item has one
  // frame, a byte string (major type 2).
  result.block = { bytes: data.length, one_frame: data[0] === 0x81 && data[1] >> 5 === 2 }
})
node.addEventListener('peer:identify', (event) => {
  result.agent = event.detail.agentVersion
  result.protocols = event.detail.protocols
})

const deadline = Date.now() + Number(secs) * 1000
try {
  const connection = await node.dial(multiaddr(target))
  result.rtt_ms = await node.services.ping.ping(multiaddr(target))
  while (Date.now() < deadline && !(result.block && result.subscriptions.includes(topic))) {
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  result.streams = connection.streams.map((s) => s.protocol)
} catch (error) {
  result.error = String(error)
}
console.log(JSON.stringify(result))
await node.stop()
process.exit(result.block && result.subscriptions.includes(topic) ? 0 : 1)
