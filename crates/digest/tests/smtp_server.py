#!/usr/bin/env python3
"""A real SMTP server (aiosmtpd) that pressroom-digest's tests control.

It records every accepted message in DIR: the raw data as received (dots
unstuffed) in DIR/<n>.eml, and one line `<n>\t<recipient>\t<envelope sender>`
per recipient in DIR/received.tsv, written before the 250 reply, so a
client that got its 250 finds the message recorded. Once listening it prints
`READY <port>` on stdout.

Misbehaviour on demand:
  --drop-after N       when the data of message N+1 arrives (N already
                       recorded), close the connection without recording it
                       or replying; may be given several times
  --hang-after N       once N messages are recorded, never answer the data
                       of another one (a server that stops responding; the
                       client is then killed or times out)
  --reject ADDR        answer 550 to RCPT TO:<ADDR>
  --reject-sender ADDR answer 553 to MAIL FROM:<ADDR>
  --temp-fail ADDR:K   answer 451 to RCPT TO:<ADDR> the first K times
  --pipelining         advertise PIPELINING (aiosmtpd reads pipelined
                       commands in order but does not say so by default)
  --starttls CERT KEY  offer STARTTLS with that certificate
  --implicit-tls CERT KEY
                       TLS from the first byte
  --auth USER:PASS     require AUTH (PLAIN or LOGIN) with these credentials
  --max-connections N  greet connections beyond N with 421 and close them
"""

import argparse
import asyncio
import logging
import os
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Recorder:
    def __init__(self, args):
        self.args = args
        self.count = 0
        self.drops = set(args.drop_after)
        self.rejected = {address.lower() for address in args.reject}
        self.rejected_senders = {address.lower() for address in args.reject_sender}
        self.temporary = {}
        for spec in args.temp_fail:
            address, times = spec.rsplit(":", 1)
            self.temporary[address.lower()] = int(times)
        self.log = open(os.path.join(args.dir, "received.tsv"), "a", buffering=1)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.args.pipelining:
            responses.insert(len(responses) - 1, "250-PIPELINING")
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if address.lower() in self.rejected_senders:
            return "553 5.7.1 <%s>: sender not allowed" % address
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        key = address.lower()
        if key in self.rejected:
            return "550 5.1.1 <%s>: no such user" % address
        if self.temporary.get(key, 0) > 0:
            self.temporary[key] -= 1
            return "451 4.7.1 <%s>: try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.args.hang_after is not None and self.count >= self.args.hang_after:
            await asyncio.Event().wait()
        if self.count in self.drops:
            self.drops.discard(self.count)
            server.transport.abort()
            return "421 dropped (not sent: the connection is gone)"
        self.count += 1
        with open(os.path.join(self.args.dir, "%d.eml" % self.count), "wb") as file:
            file.write(envelope.original_content)
        for recipient in envelope.rcpt_tos:
            self.log.write("%d\t%s\t%s\n" % (self.count, recipient, envelope.mail_from))
        return "250 2.0.0 Ok: queued as %d" % self.count


class Authenticator:
    def __init__(self, user, password):
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.user
            and auth_data.password == self.password
        )
        return AuthResult(success=ok, handled=False)


class Counted(SMTP):
    """An SMTP session that keeps count of the open ones (from its creation:
    asyncio creates the protocols of simultaneous connections before it
    tells any of them that it is connected)."""

    open_sessions = 0

    def __init__(self, *args, **kwargs):
        Counted.open_sessions += 1
        super().__init__(*args, **kwargs)

    def connection_lost(self, error):
        Counted.open_sessions -= 1
        super().connection_lost(error)


class Busy(asyncio.Protocol):
    """What a server at its connection limit does."""

    def connection_made(self, transport):
        transport.write(b"421 4.7.0 too many connections, try later\r\n")
        transport.close()


def tls_context(cert, key):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


async def main():
    # Refused handshakes and aiosmtpd's own deprecations are expected here;
    # the tests check what the client makes of them.
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    warnings.simplefilter("ignore")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--drop-after", type=int, action="append", default=[])
    parser.add_argument("--hang-after", type=int)
    parser.add_argument("--reject", action="append", default=[])
    parser.add_argument("--reject-sender", action="append", default=[])
    parser.add_argument("--temp-fail", action="append", default=[])
    parser.add_argument("--pipelining", action="store_true")
    parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--implicit-tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--auth")
    parser.add_argument("--max-connections", type=int, default=0)
    args = parser.parse_args()

    recorder = Recorder(args)
    options = {"hostname": "smtp.test", "data_size_limit": 10 * 1024 * 1024}
    if args.starttls:
        options["tls_context"] = tls_context(*args.starttls)
        options["require_starttls"] = True
    if args.auth:
        user, password = args.auth.split(":", 1)
        options["authenticator"] = Authenticator(user, password)
        options["auth_required"] = True
        options["auth_require_tls"] = bool(args.starttls or args.implicit_tls)
    ssl_context = tls_context(*args.implicit_tls) if args.implicit_tls else None

    loop = asyncio.get_running_loop()
    def session():
        if args.max_connections and Counted.open_sessions >= args.max_connections:
            return Busy()
        return Counted(recorder, loop=loop, **options)

    server = await loop.create_server(
        session,
        host="127.0.0.1",
        port=args.port,
        ssl=ssl_context,
    )
    port = server.sockets[0].getsockname()[1]
    print("READY %d" % port, flush=True)
    # Stop when the test closes our stdin (or dies).
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    await reader.read()
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
