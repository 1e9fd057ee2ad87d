# Sourced by setup-native.sh and docker/build-image.sh: finds the Debian
# archive this machine's apt already uses, so that no mirror is ever
# written into the repository.
#
# debian_mirror prints two words, the archive URI and the keyring that
# signs it, taken from the first enabled `deb` source whose suites include
# a Debian release (bookworm, bullseye, stable, ...; not -security,
# -updates or -backports). Both apt formats are read: deb822 `*.sources`
# files and one-line `sources.list`/`*.list` files. BAREWS_DEBIAN_MIRROR,
# when set, is used instead. Returns 1, with a message on stderr, when no
# source qualifies.

debian_mirror() {
  local keyring_default=/usr/share/keyrings/debian-archive-keyring.gpg
  if [ -n "${BAREWS_DEBIAN_MIRROR:-}" ]; then
    echo "$BAREWS_DEBIAN_MIRROR $keyring_default"
    return 0
  fi
  local dir=/etc/apt/sources.list.d found=""
  local sources=() lists=()
  local f
  for f in "$dir"/*.sources; do
    if [ -f "$f" ]; then sources+=("$f"); fi
  done
  if [ -f /etc/apt/sources.list ]; then lists+=(/etc/apt/sources.list); fi
  for f in "$dir"/*.list; do
    if [ -f "$f" ]; then lists+=("$f"); fi
  done

  local releases='^(buster|bullseye|bookworm|trixie|forky|duke|sid|oldoldstable|oldstable|stable|testing|unstable)$'
  if [ "${#sources[@]}" -gt 0 ]; then
    # deb822: one stanza per paragraph; field names are case-insensitive.
    found=$(awk -v releases="$releases" -v keyring="$keyring_default" '
      function flush() {
        if (done) return
        if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled != "no" && uri != "") {
          n = split(suites, s, /[ \t]+/)
          for (i = 1; i <= n; i++) if (s[i] ~ releases) {
            print uri, (signed != "" ? signed : keyring); done = 1; exit
          }
        }
        types = ""; uri = ""; suites = ""; signed = ""; enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      {
        line = $0
        field = tolower(line); sub(/:.*/, "", field)
        value = line; sub(/^[^:]*:[ \t]*/, "", value)
        if (field == "types") types = value
        else if (field == "uris") { split(value, u, /[ \t]+/); uri = u[1] }
        else if (field == "suites") suites = value
        else if (field == "signed-by" && value ~ /^\//) signed = value
        else if (field == "enabled") enabled = tolower(value)
      }
      END { flush() }
    ' "${sources[@]}" /dev/null)
  fi
  if [ -z "$found" ] && [ "${#lists[@]}" -gt 0 ]; then
    # One-line form: deb [options] URI SUITE COMPONENT...
    found=$(awk -v releases="$releases" -v keyring="$keyring_default" '
      $1 != "deb" { next }
      {
        signed = ""; i = 2
        if ($2 ~ /^\[/) {
          while (i <= NF) {
            if ($i ~ /^\[?signed-by=/) { signed = $i; sub(/^\[?signed-by=/, "", signed); sub(/\]$/, "", signed) }
            if ($i ~ /\]$/) { i++; break }
            i++
          }
        }
        uri = $i; suite = $(i + 1)
        if (suite ~ releases) { print uri, (signed != "" ? signed : keyring); exit }
      }
    ' "${lists[@]}")
  fi
  if [ -z "$found" ]; then
    echo "no Debian archive found in the apt sources (/etc/apt/sources.list," \
      "$dir/*.sources, $dir/*.list): set BAREWS_DEBIAN_MIRROR to a Debian mirror URI" >&2
    return 1
  fi
  echo "$found"
}
