#!/usr/bin/env bash
# The router's HTTP API with nothing but curl: a chat completion, the same streamed as
# server-sent events, and the model catalog.
#
#   AGORA_BASE_URL=http://127.0.0.1:8080/v1 AGORA_API_KEY=sk-agora-… bash examples/curl.sh
#
# Env: AGORA_BASE_URL, AGORA_API_KEY (required); AGORA_MODEL (default dev/chat).
set -euo pipefail

if [[ -z "${AGORA_BASE_URL:-}" || -z "${AGORA_API_KEY:-}" ]]; then
  echo 'Set AGORA_BASE_URL (e.g. http://127.0.0.1:8080/v1) and AGORA_API_KEY; `npm start` prints both.' >&2
  exit 2
fi
model="${AGORA_MODEL:-dev/chat}"

answer=$(mktemp)
trap 'rm -f "${answer}"' EXIT

# Calls the API, printing the answer as it arrives and keeping a copy in $answer.
# --fail-with-body: an HTTP error still prints its OpenAI-shaped body, then the script exits
# with curl's code (22).
api() {
  curl --silent --show-error --fail-with-body --no-buffer \
    -H "Authorization: Bearer ${AGORA_API_KEY}" -H "Content-Type: application/json" "$@" | tee "${answer}"
  echo
}

echo "== POST /chat/completions"
api "${AGORA_BASE_URL}/chat/completions" \
  -d "{\"model\":\"${model}\",\"messages\":[{\"role\":\"user\",\"content\":\"In one sentence, what is an inference marketplace?\"}]}"
grep -q '"object":"chat.completion"' "${answer}" || { echo "no chat.completion in the answer" >&2; exit 1; }

echo "== POST /chat/completions with \"stream\": true"
api "${AGORA_BASE_URL}/chat/completions" \
  -d "{\"model\":\"${model}\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"Name three things a provider node announces.\"}]}"
# Once the first event is out the status is 200 whatever happens: a failure mid-stream
# arrives as a final `data: {"error":…}` event instead of `data: [DONE]`.
grep -q '^data: \[DONE\]' "${answer}" || { echo "the stream did not finish with [DONE]" >&2; exit 1; }

echo "== GET /models"
api "${AGORA_BASE_URL}/models"
grep -q "\"id\":\"${model}\"" "${answer}" || { echo "${model} is not in the catalog" >&2; exit 1; }
