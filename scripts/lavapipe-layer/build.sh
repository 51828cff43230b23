#!/usr/bin/env bash
# Builds the lavapipe feature layer (layer.c says why it exists) into $1 (default tmp/lavapipe-layer, gitignored):
# the shared library and the loader's manifest for it. Needs cc and Debian's libvulkan-dev headers.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../../tmp/lavapipe-layer}"
mkdir -p "$out"
cc -O2 -shared -fPIC -fvisibility=hidden -Wall -Werror -o "$out/libwebift_lavapipe_layer.so" "$here/layer.c"
cat > "$out/webift_lavapipe_layer.json" <<JSON
{
  "file_format_version": "1.1.2",
  "layer": {
    "name": "VK_LAYER_WEBIFT_lavapipe_features",
    "type": "GLOBAL",
    "library_path": "./libwebift_lavapipe_layer.so",
    "api_version": "1.3.230",
    "implementation_version": "1",
    "description": "reports two image-array features lavapipe lacks so Dawn opens it (tests only)"
  }
}
JSON
echo "$out"
