#!/usr/bin/env bash
# Installs `grove` as one self-contained file (no .NET needed to run it) on the PATH:
#   ./scripts/install.sh                    ~/.local/bin/grove
#   PREFIX=/usr/local ./scripts/install.sh  /usr/local/bin/grove
# Building needs the .NET 10 SDK; the installed file carries its own runtime.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v dotnet >/dev/null || { echo "install.sh: building grove needs the .NET 10 SDK (the dotnet command), which is not installed." >&2; exit 1; }
case "$(uname -s)" in Linux) os=linux ;; Darwin) os=osx ;; *) echo "install.sh: $(uname -s) is not supported; run grove with dotnet run instead (see README.md)." >&2; exit 1 ;; esac
case "$(uname -m)" in x86_64 | amd64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *) echo "install.sh: the $(uname -m) processor is not supported." >&2; exit 1 ;; esac
bin="${PREFIX:-$HOME/.local}/bin"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "Building grove for $os-$arch (a minute or two the first time)…"
# One file: the native SQLite library goes inside it too, unpacked on first start (DOTNET_BUNDLE_EXTRACT_BASE_DIR).
if ! dotnet publish src/Grove -c Release -r "$os-$arch" --self-contained -p:PublishSingleFile=true \
    -p:IncludeNativeLibrariesForSelfExtract=true -p:DebugType=none -o "$out" -nologo -v quiet -clp:ErrorsOnly; then
  echo "install.sh: the build failed (see above); nothing was installed." >&2
  exit 1
fi
mkdir -p "$bin"
install -m 755 "$out/grove" "$bin/grove"
echo "Installed $bin/grove ($(du -m "$bin/grove" | cut -f1) MB). Start the server with: grove serve"
case ":$PATH:" in
  *":$bin:"*) ;;
  *) echo "$bin is not on your PATH; add it with: export PATH=\"$bin:\$PATH\" (in ~/.profile to keep it)" ;;
esac
