#!/bin/sh
# Print a greeting for the name given as the first argument (default: world).
name="${2:-world}"
printf 'Hello, %s!\n' "$name"
