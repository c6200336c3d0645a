#!/bin/sh
# Write Janus's config for Encore (docs/video.md) from the environment, then run Janus:
# token auth on (Encore adds per-user tokens through the admin API), the VideoRoom locked
# with an admin key so only Encore creates rooms, the HTTP API for browsers and the admin
# API for Encore, and the public address Janus advertises in its ICE candidates.
set -eu
: "${JANUS_ADMIN_SECRET:?set JANUS_ADMIN_SECRET}"
: "${JANUS_ROOM_ADMIN_KEY:?set JANUS_ROOM_ADMIN_KEY}"
CONF=${JANUS_CONF_DIR:-/run/encore-janus}
LIB=$(dirname "$(dirname "$(find /usr/lib -name libjanus_videoroom.so | head -1)")")
mkdir -p "$CONF"
NAT_LINE="" STUN_LINE=""
[ -n "${JANUS_PUBLIC_IP:-}" ] && NAT_LINE="nat_1_1_mapping = \"$JANUS_PUBLIC_IP\""
[ -n "${JANUS_STUN_SERVER:-}" ] && STUN_LINE="stun_server = \"$JANUS_STUN_SERVER\""
cat > "$CONF/janus.jcfg" <<JCFG
general: {
  configs_folder = "$CONF"
  plugins_folder = "$LIB/plugins"
  transports_folder = "$LIB/transports"
  events_folder = "$LIB/events"
  loggers_folder = "$LIB/loggers"
  debug_level = 4
  admin_secret = "$JANUS_ADMIN_SECRET"
  token_auth = true
}
media: {
  rtp_port_range = "${JANUS_RTP_PORTS:-20000-20200}"
}
nat: {
  $NAT_LINE
  $STUN_LINE
  ice_tcp = false
}
plugins: {
  disable = "libjanus_audiobridge.so,libjanus_duktape.so,libjanus_echotest.so,libjanus_lua.so,libjanus_nosip.so,libjanus_recordplay.so,libjanus_sip.so,libjanus_streaming.so,libjanus_textroom.so,libjanus_videocall.so,libjanus_voicemail.so"
}
transports: {
  disable = "libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_pfunix.so,libjanus_rabbitmq.so,libjanus_websockets.so"
}
loggers: {
  disable = "libjanus_jsonlog.so"
}
JCFG
cat > "$CONF/janus.transport.http.jcfg" <<JCFG
general: {
  json = "plain"
  base_path = "/janus"
  http = true
  port = ${JANUS_HTTP_PORT:-8088}
  https = false
}
admin: {
  admin_base_path = "/admin"
  admin_http = true
  admin_port = ${JANUS_ADMIN_PORT:-7088}
  admin_ip = "${JANUS_ADMIN_IP:-127.0.0.1}"
  admin_https = false
}
cors: {
  allow_origin = "${JANUS_ALLOW_ORIGIN:-*}"
}
JCFG
cat > "$CONF/janus.plugin.videoroom.jcfg" <<JCFG
general: {
  admin_key = "$JANUS_ROOM_ADMIN_KEY"
  lock_rtp_forward = true
}
JCFG
exec janus -F "$CONF" -C "$CONF/janus.jcfg"
