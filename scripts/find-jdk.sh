# shellcheck shell=bash
# Sourced by ./inferencecache and .ci/run. Defines inferencecache_find_jdk, which prints the home of a
# JDK 21 or newer (with javac) and returns 0, or prints what to install on standard error and
# returns 1. Preference: JAVA_HOME, then the java on PATH, then the newest JDK in the usual places.

INFERENCECACHE_MIN_JAVA=21

# Prints the feature version (21, 25, ...) of the JDK at $1, or nothing.
inferencecache_jdk_version() {
  local home=$1 version=""
  [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || return 0
  if [ -f "$home/release" ]; then
    version=$(sed -n 's/^JAVA_VERSION="\([^"]*\)".*/\1/p' "$home/release")
  fi
  if [ -z "$version" ]; then
    version=$("$home/bin/java" -XshowSettings:properties -version 2>&1 |
      sed -n 's/^ *java.specification.version = //p')
  fi
  version=${version#1.}
  printf '%s\n' "${version%%[.+-]*}"
}

inferencecache_find_jdk() {
  local candidate version best="" best_version=0 java_on_path
  if [ -n "${JAVA_HOME:-}" ]; then
    version=$(inferencecache_jdk_version "$JAVA_HOME")
    if [ -n "$version" ] && [ "$version" -ge "$INFERENCECACHE_MIN_JAVA" ]; then
      printf '%s\n' "$JAVA_HOME"
      return 0
    fi
    echo "note: JAVA_HOME=$JAVA_HOME is not a JDK $INFERENCECACHE_MIN_JAVA+ (found: ${version:-no JDK}); looking elsewhere" >&2
  fi
  if java_on_path=$(command -v java 2>/dev/null); then
    candidate=$(cd "$(dirname "$(readlink -f "$java_on_path")")/.." && pwd)
    version=$(inferencecache_jdk_version "$candidate")
    if [ -n "$version" ] && [ "$version" -ge "$INFERENCECACHE_MIN_JAVA" ]; then
      printf '%s\n' "$candidate"
      return 0
    fi
  fi
  for candidate in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* "${HOME:-/nonexistent}"/.sdkman/candidates/java/* \
    /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -d "$candidate" ] || continue
    version=$(inferencecache_jdk_version "$candidate")
    if [ -n "$version" ] && [ "$version" -ge "$INFERENCECACHE_MIN_JAVA" ] && [ "$version" -gt "$best_version" ]; then
      best=$candidate
      best_version=$version
    fi
  done
  if [ -n "$best" ]; then
    printf '%s\n' "$best"
    return 0
  fi
  echo "inferencecache needs a JDK $INFERENCECACHE_MIN_JAVA or newer (with javac): install one (for example 'apt-get install openjdk-21-jdk-headless', or Temurin 21+) and set JAVA_HOME to it" >&2
  return 1
}
