"""An SMTP server that requires STARTTLS and AUTH, for TokenMailerTest (Debian's python3-aiosmtpd).

    python3 smtp_auth_server.py HOST PORT CERT KEY MAILDIR [MECHANISM...]

The one accepted login is $SMTP_TEST_USER with the password whose UTF-8 bytes are hex-encoded
in $SMTP_TEST_PASSWORD_HEX (environment, not argv: the password never shows in ps, and any
character survives whatever the locale). MECHANISMs: the AUTH mechanisms offered (default: all
of aiosmtpd's, LOGIN and PLAIN). AUTH is offered and accepted only after STARTTLS, and MAIL is
refused before AUTH. Accepted mails go to the Maildir MAILDIR (new/). Prints "READY" once it
listens, then one line per AUTH attempt, "AUTH <mechanism> <login> ok|refused" (never the
password), flushed at once. Stops at the end of its standard input (or on SIGTERM).
"""

import os
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    host, port, cert, key, maildir = sys.argv[1:6]
    offered = set(sys.argv[6:]) or {"LOGIN", "PLAIN"}
    user = os.environ["SMTP_TEST_USER"].encode("utf-8")
    password = bytes.fromhex(os.environ["SMTP_TEST_PASSWORD_HEX"])

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == user and auth_data.password == password
        login = auth_data.login.decode("utf-8", "replace") if isinstance(auth_data, LoginPassword) else "?"
        print("AUTH %s %s %s" % (mechanism, login, "ok" if ok else "refused"), flush=True)
        return AuthResult(success=ok, handled=False)

    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    controller = Controller(Mailbox(maildir), hostname=host, port=int(port), tls_context=tls, require_starttls=True,
                            authenticator=authenticator, auth_required=True, auth_require_tls=True,
                            auth_exclude_mechanism={"LOGIN", "PLAIN"} - offered)
    controller.start()  # returns once the server accepts connections
    try:
        print("READY", flush=True)
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
