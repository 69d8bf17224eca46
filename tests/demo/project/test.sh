#!/bin/sh
# Check greet.sh. Prints "ok" and exits 0 when every case passes.
status=0
check() {
    expected=$1
    shift
    actual=$(sh greet.sh "$@")
    if [ "$actual" != "$expected" ]; then
        echo "FAIL: sh greet.sh $*: expected '$expected', got '$actual'"
        status=1
    fi
}
check 'Hello, world!'
check 'Hello, Ada!' Ada
check 'Hello, Grace Hopper!' 'Grace Hopper'
[ "$status" -eq 0 ] || exit 1
echo ok
