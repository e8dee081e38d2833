#!/usr/bin/env bash
# Turn prompts/ru.txt (`name|text` lines) into Asterisk-ready WAV files:
# 8 kHz, mono, 16-bit signed PCM, one <name>.wav per line, in TARGET_DIR.
#
#   asterisk-dialplan/prompts/generate.sh TARGET_DIR
#
# TARGET_DIR is the `hotline/` subfolder of Asterisk's sounds folder
# (/usr/share/asterisk/sounds/hotline on Debian), so the dialplan and the ARI
# app play them as `hotline/<name>` (e.g. Playback(hotline/greeting-122)).
# It also writes TARGET_DIR/moh/hold.wav, a synthetic chime used as music on
# hold (see musiconhold.conf).
#
# Synthetic voice (espeak-ng) for development and tests only: production
# replaces the files with recordings of the same names.
#
# Used by scripts/sandbox (host) and docker/asterisk/Dockerfile (image build).
# Needs espeak-ng and sox. Does nothing if TARGET_DIR already holds the output
# of the same ru.txt and the same script (a stamp file records their hash).
set -euo pipefail

PROMPTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TEXTS=$PROMPTS_DIR/ru.txt
TARGET_DIR=${1:?usage: generate.sh TARGET_DIR}
STAMP=$TARGET_DIR/.generated.sha256

VOICE=${HOTLINE_PROMPT_VOICE:-ru}   # espeak-ng voice
SPEED=${HOTLINE_PROMPT_SPEED:-150}  # words per minute (espeak default 175 is hurried)

for tool in espeak-ng sox; do
    command -v "$tool" >/dev/null || {
        echo "generate.sh: $tool is missing (scripts/sandbox install-host-deps)" >&2
        exit 1
    }
done

hash=$(cat "$TEXTS" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)
if [[ -f $STAMP && $(<"$STAMP") == "$hash" ]]; then
    exit 0
fi

mkdir -p "$TARGET_DIR/moh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The folder is ours: drop prompts that are no longer in ru.txt.
find "$TARGET_DIR" -maxdepth 1 -name '*.wav' -delete

count=0
while IFS='|' read -r name text; do
    # Skip comments and blank lines.
    [[ -z ${name//[[:space:]]/} || $name == \#* ]] && continue
    [[ $name =~ ^[a-z0-9-]+$ ]] || { echo "generate.sh: bad prompt name '$name'" >&2; exit 1; }
    [[ -n $text ]] || { echo "generate.sh: prompt '$name' has no text" >&2; exit 1; }
    espeak-ng -v "$VOICE" -s "$SPEED" -w "$tmp/$name.wav" -- "$text"
    # Resample to telephone quality and normalise to -3 dBFS.
    sox "$tmp/$name.wav" -r 8000 -c 1 -b 16 -e signed-integer "$TARGET_DIR/$name.wav" norm -3
    count=$((count + 1))
done <"$TEXTS"

# Music on hold: a soft two-note chime, 20 s, so holding callers hear that the
# line is alive (Debian's MoH packages are only "recommended", not installed).
sox -n -r 8000 -c 1 -b 16 -e signed-integer "$tmp/chime.wav" \
    synth 0.6 sine 523.25 synth 0.6 sine mix 659.25 fade q 0.05 0.6 0.3 pad 0 1.4 gain -12
sox "$tmp/chime.wav" "$TARGET_DIR/moh/hold.wav" repeat 9

echo "$hash" >"$STAMP"
echo "generate.sh: $count prompts written to $TARGET_DIR" >&2
