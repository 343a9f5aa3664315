#!/bin/sh
# Sends an alert about a systemd unit of the hotline that failed: run by hotline-notify@.service,
# which OnFailure= in hotline.service, hotline-backup.service and hotline-doctor.service starts.
#   hotline-notify.sh UNIT
# The message (what failed, the unit's last log lines, what to do) goes to the standard input of
# ALERT_COMMAND, the operator's own command from /etc/hotline/hotline.env, for example:
#   ALERT_COMMAND="mail -s 'hotline alert' ops@example.org"
#   ALERT_COMMAND="curl -fsS --data-urlencode text@- https://api.telegram.org/bot<token>/sendMessage?chat_id=<id>"
# No other server is needed. Exits non-zero when no alert could be sent (the journal keeps why).
set -u
unit="${1:?usage: hotline-notify.sh UNIT}"
if [ -z "${ALERT_COMMAND:-}" ]; then
  echo "hotline-notify: $unit failed, but ALERT_COMMAND is not set in /etc/hotline/hotline.env: nobody was told. Set it (README, \"Alerts\")." >&2
  exit 1
fi

what_to_do() {
  case "$unit" in
    test)
      echo "This is a test alert (systemctl start hotline-notify@test.service): alerts reach you. Nothing to do." ;;
    hotline-doctor*)
      echo "What to do: each WARNING or BLOCKER line above says what is wrong, and the line after it (fix:) what to do."
      echo "Check again with: cd /opt/hotline && sudo npm run doctor -- --env-file /etc/hotline/hotline.env" ;;
    hotline-backup*)
      echo "What to do: no backup was made tonight. Read the lines above for the cause (a full disk, the database not answering),"
      echo "fix it, then run one now: sudo systemctl start hotline-backup.service && systemctl status hotline-backup.service" ;;
    *)
      echo "What to do: the hotline is NOT answering calls. Read the lines above for the cause, then:"
      echo "  systemctl status hotline; journalctl -u hotline -n 100"
      echo "  exit status 78 means a setting or a readiness blocker: cd /opt/hotline && sudo npm run doctor -- --env-file /etc/hotline/hotline.env"
      echo "Once fixed: sudo systemctl reset-failed hotline && sudo systemctl start hotline" ;;
  esac
}

message() {
  echo "hotline alert on $(hostname): $unit failed at $(date '+%Y-%m-%d %H:%M %Z')"
  echo
  echo "Last log lines of $unit:"
  journalctl -u "$unit" -n 30 --no-pager -o cat 2>&1 || echo "(the journal could not be read: run journalctl -u $unit as root)"
  echo
  what_to_do
}

if ! message | sh -c "$ALERT_COMMAND"; then
  echo "hotline-notify: ALERT_COMMAND failed: the alert about $unit was not sent. Try it by hand: echo test | sh -c \"\$ALERT_COMMAND\"" >&2
  exit 1
fi
echo "hotline-notify: alert about $unit sent"
