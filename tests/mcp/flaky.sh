#!/bin/sh
# A deliberately bad MCP server (stdio) for mote's robustness tests: it
# prints garbage on stdout before its first answer, logs to stderr, and has
# tools that crash the process (`crash`), never answer (`hang`) or work
# (`ok`). Each start is counted in $FLAKY_STARTS (a file) if set, and its
# folder appended to $FLAKY_CWD (a file) if set; with
# $FLAKY_DELAY it reads nothing for that many seconds first (a slow start).
[ -n "$FLAKY_STARTS" ] && echo start >> "$FLAKY_STARTS"
[ -n "$FLAKY_CWD" ] && pwd >> "$FLAKY_CWD"
[ -n "$FLAKY_DELAY" ] && sleep "$FLAKY_DELAY"
echo "flaky: starting" >&2
while IFS= read -r line; do
	id=$(printf '%s' "$line" | sed -n 's/^{"jsonrpc":"2.0","id":\([0-9]*\),.*/\1/p')
	case "$line" in
	*'"method":"initialize"'*)
		echo "this line is not JSON"
		echo '{"not":"a message"}'
		echo "{\"jsonrpc\":\"2.0\",\"id\":$id,\"result\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"flaky\",\"version\":\"0\"}}}" ;;
	*'"method":"tools/list"'*)
		echo "{\"jsonrpc\":\"2.0\",\"id\":$id,\"result\":{\"tools\":[{\"name\":\"crash\",\"inputSchema\":{\"type\":\"object\"}},{\"name\":\"hang\",\"inputSchema\":{\"type\":\"object\"}},{\"name\":\"ok\",\"description\":\"works\",\"inputSchema\":{\"type\":\"object\"}}]}}" ;;
	*'"name":"crash"'*) echo "flaky: crashing" >&2; exit 3 ;;
	*'"name":"hang"'*) sleep 5 ;;
	*'"name":"ok"'*)
		echo "{\"jsonrpc\":\"2.0\",\"id\":$id,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"fine\"}]}}" ;;
	esac
done
