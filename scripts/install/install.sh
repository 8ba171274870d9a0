#!/usr/bin/env bash
# Installs the Loa agent on a loudspeaker cluster's board (Raspberry Pi OS / Debian, arm64 or
# armhf, Node from the distribution) and enrolls it with the server (issue 7):
#   - the agent as one bundled file under /opt/loa-agent (no node_modules, no build on the board),
#   - its configuration in /etc/loa-agent/config.json (0600: it holds the unit's secret),
#   - its data (plan, media cache, event queue) in /var/lib/loa-agent,
#   - a systemd unit that restarts it always and logs to journald,
#   - a sudoers rule so the `reboot` command can reboot the board, and nothing else,
#   - enrollment: a one-time token from the server traded for the unit id, secret and server key.
#
# usage: sudo ./install.sh --server https://loa.example.vn --token TOKEN \
#          [--sink alsa|alsa:DEVICE|file:DIR|null] [--relay none|gpio:CHIP:LINE[:active-low]|file:PATH]
#          [--mqtt-url mqtts://loa.example.vn:8883] [--bundle loa-agent.mjs] [--no-apt] [--no-start]
# The token can come from LOA_ENROLL_TOKEN instead of the command line (ps shows arguments).
# DESTDIR=/some/dir installs into a staging root instead of /: no packages, no user, no systemctl
# (image building, and the tests of this script).
set -euo pipefail

SERVER=""
TOKEN="${LOA_ENROLL_TOKEN:-}"
SINK="alsa"
RELAY="none"
# Given on the command line, not defaults: an existing config that says otherwise is reported.
SINK_GIVEN=0
RELAY_GIVEN=0
MQTT_URL=""
BUNDLE=""
APT=1
START=1
DESTDIR="${DESTDIR:-}"
USER_NAME="loa-agent"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

usage() {
  sed -n '11,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
fail() {
  echo "loa-agent install: $*" >&2
  exit 1
}
warn() {
  echo "loa-agent install: warning: $*" >&2
}
# A group of the system being installed: the staging root's own /etc/group under DESTDIR.
group_exists() {
  if [ -n "$DESTDIR" ]; then grep -q "^$1:" "$DESTDIR/etc/group" 2>/dev/null; else getent group "$1" >/dev/null; fi
}

while [ $# -gt 0 ]; do
  case "$1" in
    --server) SERVER="${2:-}"; shift 2 ;;
    --token) TOKEN="${2:-}"; shift 2 ;;
    --sink) SINK="${2:-}"; SINK_GIVEN=1; shift 2 ;;
    --relay) RELAY="${2:-}"; RELAY_GIVEN=1; shift 2 ;;
    --mqtt-url) MQTT_URL="${2:-}"; shift 2 ;;
    --bundle) BUNDLE="${2:-}"; shift 2 ;;
    --no-apt) APT=0; shift ;;
    --no-start) START=0; shift ;;
    -h|--help) usage ;;
    *) echo "loa-agent install: unknown option $1" >&2; usage ;;
  esac
done

[ -n "$SERVER" ] && [ -n "$TOKEN" ] || usage
case "$SERVER" in http://*|https://*) ;; *) fail "--server must be the server's web address, e.g. https://loa.example.vn" ;; esac
case "$SINK" in null|alsa|alsa:*|file:*) ;; *) fail "--sink must be alsa, alsa:DEVICE, file:DIR or null (got $SINK)" ;; esac
if ! [[ "$RELAY" =~ ^(none|file:.+|gpio:[A-Za-z0-9/_.-]+:[0-9]{1,4}(:active-low)?)$ ]]; then
  fail "--relay must be none, gpio:CHIP:LINE[:active-low] or file:PATH (got $RELAY)"
fi

if [ -z "$DESTDIR" ]; then
  [ "$(id -u)" -eq 0 ] || fail "run it as root (sudo ./install.sh …): it installs a system service"
  if [ "$APT" -eq 1 ]; then
    echo "Installing packages: nodejs ffmpeg gpiod"
    # A fresh image's package lists are often too old to find anything.
    DEBIAN_FRONTEND=noninteractive apt-get update ||
      warn "apt-get update failed; installing from the package lists already on the board"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs ffmpeg gpiod
  fi
else
  APT=0
  START=0
fi

NODE="$(command -v node || true)"
[ -n "$NODE" ] || fail "node is not installed: apt-get install nodejs"
NODE_MAJOR="$("$NODE" -p 'process.versions.node.split(".")[0]')"
[ "$NODE_MAJOR" -ge 18 ] || fail "Node $NODE_MAJOR is too old: the agent needs Node 18 or later"
# The unit file names the board's node, not the one of the machine building a staging root.
[ -n "$DESTDIR" ] && UNIT_NODE="/usr/bin/node" || UNIT_NODE="$NODE"

# The bundle: given, shipped beside this script (a release), or built from this checkout.
if [ -z "$BUNDLE" ]; then
  if [ -f "$HERE/loa-agent.mjs" ]; then
    BUNDLE="$HERE/loa-agent.mjs"
  elif [ -f "$HERE/bundle-agent.ts" ] && [ -d "$HERE/../../node_modules" ]; then
    BUNDLE="$(mktemp -d)/loa-agent.mjs"
    (cd "$HERE/../.." && npx --no-install tsx scripts/install/bundle-agent.ts "$BUNDLE" >&2)
  else
    fail "no agent bundle: pass --bundle loa-agent.mjs"
  fi
fi
[ -f "$BUNDLE" ] || fail "no such bundle: $BUNDLE"

OPT="$DESTDIR/opt/loa-agent"
ETC="$DESTDIR/etc/loa-agent"
DATA="$DESTDIR/var/lib/loa-agent"
install -d -m 0755 "$OPT" "$DESTDIR/usr/local/bin" "$DESTDIR/etc/systemd/system" "$DESTDIR/etc/sudoers.d"
install -d -m 0750 "$ETC" "$DATA"
# Run again with the installed bundle (a re-enrollment): nothing to copy.
[ "$BUNDLE" -ef "$OPT/loa-agent.mjs" ] || install -m 0644 "$BUNDLE" "$OPT/loa-agent.mjs"
# Also proves the bundle runs on this Node before anything depends on it.
"$NODE" "$OPT/loa-agent.mjs" --version >"$OPT/VERSION" || fail "the agent bundle does not run on Node $NODE_MAJOR"

cat >"$DESTDIR/usr/local/bin/loa-agent" <<EOF
#!/bin/sh
# The Loa agent command (e.g. \`loa-agent enroll …\`); the service runs the same file.
exec $UNIT_NODE /opt/loa-agent/loa-agent.mjs "\$@"
EOF
chmod 0755 "$DESTDIR/usr/local/bin/loa-agent"

# Settings a technician may change; enrollment adds the identity (unit, secret, server key) below.
CONFIG="$ETC/config.json"
config_value() {
  "$NODE" -e 'const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
process.stdout.write(String(c[process.argv[2]] ?? ""))' "$CONFIG" "$1" 2>/dev/null || true
}
RELAY_IN_USE="$RELAY"
if [ -f "$CONFIG" ]; then
  # A re-run (re-enrollment, upgrade) keeps the board's settings; a flag that asks otherwise is
  # not applied silently.
  for key in sink relay; do
    if [ "$key" = sink ]; then given="$SINK_GIVEN"; want="$SINK"; else given="$RELAY_GIVEN"; want="$RELAY"; fi
    have="$(config_value "$key")"
    if [ "$given" -eq 1 ] && [ "$have" != "$want" ]; then
      warn "${CONFIG#"$DESTDIR"} already has \"$key\": \"$have\"; --$key $want is not applied (edit that file to change it)"
    fi
  done
  RELAY_IN_USE="$(config_value relay)"
else
  cat >"$CONFIG" <<EOF
{
  "version": 1,
  "dataDir": "/var/lib/loa-agent",
  "sink": "$SINK",
  "relay": "$RELAY",
  "telemetryIntervalS": 30,
  "rebootCommand": "sudo -n /usr/bin/systemctl reboot"
}
EOF
fi
chmod 0600 "$CONFIG"

# systemd refuses to start a unit naming a group that does not exist (status 216/GROUP), and
# only some systems have `gpio` (Raspberry Pi OS does; plain Debian does not).
UNIT_GROUPS="audio"
if group_exists gpio; then
  UNIT_GROUPS="audio gpio"
elif [[ "$RELAY_IN_USE" == gpio:* ]]; then
  warn "no gpio group on this system: give the $USER_NAME user access to /dev/gpiochip* (a udev rule) for the relay"
fi

cat >"$DESTDIR/etc/systemd/system/loa-agent.service" <<EOF
[Unit]
Description=Loa agent: plays this loudspeaker cluster's broadcast plan
Documentation=https://github.com/loa-vn/loa/blob/main/agent/README.md
Wants=network-online.target
After=network-online.target sound.target time-sync.target
# Never give up restarting: a cluster must come back by itself (issue 7).
StartLimitIntervalSec=0

[Service]
Type=simple
User=$USER_NAME
Group=$USER_NAME
SupplementaryGroups=$UNIT_GROUPS
ExecStart=$UNIT_NODE /opt/loa-agent/loa-agent.mjs --config /etc/loa-agent/config.json
Restart=always
RestartSec=2
# Exact starts (issue 7): at an item's instant the agent must get the CPU at once, whatever else
# the board does. A low real-time priority (kernel IRQ threads run at 50) does it; the kernel still
# keeps 5 % of each second for ordinary tasks, and the agent is idle between items.
CPUSchedulingPolicy=fifo
CPUSchedulingPriority=10
# One journald record per log line, tagged loa-agent: journalctl -u loa-agent -f
StandardOutput=journal
StandardError=journal
SyslogIdentifier=loa-agent
# Stop kills the agent and its ffmpeg and gpioset children; the agent itself stops within 10 s.
KillMode=control-group
TimeoutStopSec=15
ProtectSystem=full
ProtectHome=true
PrivateTmp=true
ReadWritePaths=/var/lib/loa-agent

[Install]
WantedBy=multi-user.target
EOF
chmod 0644 "$DESTDIR/etc/systemd/system/loa-agent.service"

# The `reboot` command (DESIGN §6) and nothing else as root.
cat >"$DESTDIR/etc/sudoers.d/loa-agent" <<EOF
$USER_NAME ALL=(root) NOPASSWD: /usr/bin/systemctl reboot
EOF
chmod 0440 "$DESTDIR/etc/sudoers.d/loa-agent"

if [ -z "$DESTDIR" ]; then
  if ! id "$USER_NAME" >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/loa-agent --shell /usr/sbin/nologin "$USER_NAME"
  fi
  for g in $UNIT_GROUPS; do
    if getent group "$g" >/dev/null; then usermod -aG "$g" "$USER_NAME"; fi
  done
  if command -v visudo >/dev/null; then visudo -cf /etc/sudoers.d/loa-agent >/dev/null || fail "the sudoers rule is invalid"; fi
fi

echo "Enrolling with $SERVER"
ENROLL_ARGS=(enroll --server "$SERVER" --config /etc/loa-agent/config.json)
[ -n "$MQTT_URL" ] && ENROLL_ARGS+=(--mqtt-url "$MQTT_URL")
[ -n "$DESTDIR" ] && ENROLL_ARGS+=(--destdir "$DESTDIR")
LOA_ENROLL_TOKEN="$TOKEN" "$NODE" "$OPT/loa-agent.mjs" "${ENROLL_ARGS[@]}" || fail "enrollment failed (see above); nothing was started"

if [ -z "$DESTDIR" ]; then
  chown -R "$USER_NAME:$USER_NAME" /etc/loa-agent /var/lib/loa-agent
fi
if [ "$START" -eq 1 ]; then
  systemctl daemon-reload
  systemctl enable --now loa-agent.service
  echo "The agent is running: journalctl -u loa-agent -f"
else
  echo "Installed under ${DESTDIR:-/}; start it with: systemctl enable --now loa-agent"
fi
