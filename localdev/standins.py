"""Start every local stand-in at once and get the environment a handler needs.

::

    from localdev.standins import Standins

    with Standins.start() as s:
        with s.environment():          # os.environ overlaid with s.env; container reset on entry and exit
            lambda_handler(event, context)
        s.salesforce.requests          # what the emulator received

What is seeded (all on 127.0.0.1): a :class:`~localdev.salesforce_emulator.SalesforceEmulator` with a connected
app registered for a fresh RSA key pair, one messaging channel (UUID channel address identifier, authorization
context ``SCC_AC_Chat_Channel``), a call center (``04v...``), two Omni-Channel queues (``00G...``) mapped through
``CallCenterRoutingMap`` to two Connect queue ARNs, one user (``005...``) mapped to a Connect agent ARN, default
routing to the first queue; a moto server with the secret (Secrets Manager, JSON ``CONNECTED_APP_CONSUMER_KEY``,
``CERTIFICATE_PRIVATE_KEY``, ``API_ACCESS_USER_NAME``) and the chat transcript bucket (S3); a Connect stand-in
for the instance whose ``ListInstanceStorageConfigs(CHAT_TRANSCRIPTS)`` names that bucket and prefix, and which
has the two mapped queues and the mapped agent (``DescribeQueue`` / ``DescribeUser``).

``python -m localdev.standins --env-file PATH`` does the same, writes ``KEY=VALUE`` lines and serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from localdev.aws_standins import (
    DEFAULT_ACCOUNT,
    DEFAULT_REGION,
    DUMMY_ACCESS_KEY_ID,
    DUMMY_SECRET_ACCESS_KEY,
    ConnectStandin,
    MotoStandin,
)
from localdev.salesforce_emulator import SalesforceEmulator, new_id

AUTHORIZATION_CONTEXT = "SCC_AC_Chat_Channel"
SECRET_NAME_PREFIX = "SCCAC-Secret"
TRANSCRIPTS_BUCKET_PREFIX = "local-connect-chat-transcripts"
CONSUMER_KEY = "3MVG9local.standin.consumer.key"
API_USER_NAME = "integration.user@example.com.local"

# Variables that would make boto3 ignore the dummy credentials or reach another endpoint.
_AWS_VARIABLES_TO_HIDE = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


@dataclass(frozen=True)
class SeededQueue:
    """An Omni-Channel queue mapped to a Connect queue.

    Attributes
    ----------
    name : str
        A label (``Support``, ``Sales``).
    salesforce_queue_id : str
        18-character Group id (``00G...``).
    connect_queue_arn : str
        ``arn:aws:connect:us-east-1:111122223333:instance/<uuid>/queue/<uuid>``.
    """

    name: str
    salesforce_queue_id: str
    connect_queue_arn: str


@dataclass(frozen=True)
class SeededUser:
    """A Salesforce user mapped to a Connect agent.

    Attributes
    ----------
    salesforce_user_id : str
        18-character User id (``005...``).
    connect_agent_arn : str
        ``arn:aws:connect:...:instance/<uuid>/agent/<uuid>``.
    """

    salesforce_user_id: str
    connect_agent_arn: str


class Standins:
    """Every stand-in, started and seeded. Use :meth:`start`; stop with :meth:`stop` or the context manager.

    Attributes
    ----------
    env : dict of str to str
        ``SALESFORCE_ORG_ID`` (18-character), ``SALESFORCE_SCRT_URL``, ``SALESFORCE_AUTH_URL`` (both the emulator
        base URL), ``SALESFORCE_AUTHORIZATION_CONTEXT``, ``SALESFORCE_SECRET_ID``, ``CALL_CENTER_ID``,
        ``CONNECT_INSTANCE_ARN``, ``CHAT_TRANSCRIPTS_BUCKET``, ``CHAT_TRANSCRIPTS_PREFIX``, ``AWS_ENDPOINT_URL``
        (moto), ``AWS_ENDPOINT_URL_CONNECT`` (Connect stand-in), ``AWS_DEFAULT_REGION``, ``AWS_REGION``,
        ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` (dummies), ``REQUESTS_CA_BUNDLE`` (emulator CA),
        ``POWERTOOLS_METRICS_NAMESPACE``, ``POWERTOOLS_SERVICE_NAME``.
    salesforce : SalesforceEmulator
        The emulator (control API).
    connect : ConnectStandin
        The Connect stand-in (control API).
    moto : MotoStandin
        The moto server.
    channel_address_identifier : str
        The seeded channel (a UUID).
    authorization_context : str
        Its ConversationChannelDefinition name.
    call_center_id : str
        18-character ``04v...`` id.
    queues : tuple of SeededQueue
        Two queues; the channel routes to ``queues[0]`` by default.
    users : tuple of SeededUser
        One user.
    instance_id, instance_arn : str
        The Connect instance.
    consumer_key, user_name : str
        The connected app and API user in the secret.
    private_key_pem : str
        The RSA private key in the secret (PKCS#8 PEM).
    """

    def __init__(self) -> None:
        self.salesforce = SalesforceEmulator()
        self.moto = MotoStandin(DEFAULT_REGION)
        self.connect = ConnectStandin(region=DEFAULT_REGION, account=DEFAULT_ACCOUNT)
        self.instance_id = self.connect.instance_id
        self.instance_arn = self.connect.instance_arn
        self.channel_address_identifier = str(uuid.uuid4())
        self.authorization_context = AUTHORIZATION_CONTEXT
        self.call_center_id = new_id("04v")
        self.consumer_key = CONSUMER_KEY
        self.user_name = API_USER_NAME
        self.queues = tuple(
            SeededQueue(name, new_id("00G"), f"{self.instance_arn}/queue/{uuid.uuid4()}")
            for name in ("Support", "Sales")
        )
        self.users = (SeededUser(new_id("005"), f"{self.instance_arn}/agent/{uuid.uuid4()}"),)
        # moto's backends are process-global: unique names let several Standins share a process.
        suffix = uuid.uuid4().hex[:8]
        self.secret_name = f"{SECRET_NAME_PREFIX}-{suffix}"
        self.transcripts_bucket = f"{TRANSCRIPTS_BUCKET_PREFIX}-{suffix}"
        self.transcripts_prefix = "connect/local-instance/ChatTranscripts"
        self.state_table = f"connect-omni-state-{suffix}"
        self.private_key_pem = ""
        self.secret_arn = ""
        self.env: dict[str, str] = {}
        self.startup_seconds = 0.0

    @classmethod
    def start(cls) -> Standins:
        """Start and seed everything.

        Returns
        -------
        Standins
            Running stand-ins; stop them with :meth:`stop` (or use ``with``).

        Raises
        ------
        Exception
            Whatever a server or seeding step raised; anything started is stopped first.
        """
        began = time.perf_counter()
        standins = cls()
        try:
            standins._start()
        except BaseException:
            standins.stop()
            raise
        standins.startup_seconds = time.perf_counter() - began
        return standins

    def _start(self) -> None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private_key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        public_pem = (
            key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
        threads = [
            threading.Thread(target=self.salesforce.serve_in_background),
            threading.Thread(target=self.moto.start),
        ]
        for thread in threads:
            thread.start()
        self.connect.start()
        for thread in threads:
            thread.join()
        if not self.salesforce.base_url or not self.moto.endpoint_url:
            raise RuntimeError("a stand-in failed to start (see the log)")
        self._seed_salesforce(public_pem)
        self._seed_aws()
        self.connect.set_storage_config("CHAT_TRANSCRIPTS", self.transcripts_bucket, self.transcripts_prefix)
        for queue in self.queues:
            self.connect.put_queue(queue.connect_queue_arn, queue.name)
        for number, user in enumerate(self.users, start=1):
            self.connect.put_user(user.connect_agent_arn, f"agent{number}")
        self.env = {
            "SALESFORCE_ORG_ID": self.salesforce.org_id,
            "SALESFORCE_SCRT_URL": self.salesforce.base_url,
            "SALESFORCE_AUTH_URL": self.salesforce.base_url,
            "SALESFORCE_AUTHORIZATION_CONTEXT": self.authorization_context,
            "SALESFORCE_SECRET_ID": self.secret_arn,
            "CALL_CENTER_ID": self.call_center_id,
            "CONNECT_INSTANCE_ARN": self.instance_arn,
            "CHAT_TRANSCRIPTS_BUCKET": self.transcripts_bucket,
            "CHAT_TRANSCRIPTS_PREFIX": self.transcripts_prefix,
            "STATE_TABLE_NAME": self.state_table,
            "AWS_ENDPOINT_URL": self.moto.endpoint_url,
            "AWS_ENDPOINT_URL_CONNECT": self.connect.endpoint_url,
            "AWS_DEFAULT_REGION": DEFAULT_REGION,
            "AWS_REGION": DEFAULT_REGION,
            "AWS_ACCESS_KEY_ID": DUMMY_ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET_ACCESS_KEY,
            "REQUESTS_CA_BUNDLE": self.salesforce.ca_file,
            "POWERTOOLS_METRICS_NAMESPACE": "ConnectOmniLocal",
            "POWERTOOLS_SERVICE_NAME": "connect-omni-local",
        }

    def _seed_salesforce(self, public_pem: str) -> None:
        sf = self.salesforce
        sf.register_client(self.consumer_key, self.user_name, public_pem)
        sf.add_channel(
            self.channel_address_identifier,
            self.authorization_context,
            routing=sf.outcome(queue_id=self.queues[0].salesforce_queue_id),
        )
        for queue in self.queues:
            sf.map_queue(
                self.call_center_id,
                queue.salesforce_queue_id,
                queue.connect_queue_arn,
                developer_name=f"{queue.name}_Queue",
            )
        for user in self.users:
            sf.map_user(self.call_center_id, user.salesforce_user_id, user.connect_agent_arn)

    def _seed_aws(self) -> None:
        secret = {
            "CONNECTED_APP_CONSUMER_KEY": self.consumer_key,
            "CERTIFICATE_PRIVATE_KEY": self.private_key_pem,
            "API_ACCESS_USER_NAME": self.user_name,
        }
        created = self.moto.client("secretsmanager").create_secret(
            Name=self.secret_name, SecretString=json.dumps(secret)
        )
        self.secret_arn = created["ARN"]
        self.moto.client("s3").create_bucket(Bucket=self.transcripts_bucket)
        self.moto.client("dynamodb").create_table(TableName=self.state_table, **state_table_schema())

    def clear_state_table(self) -> None:
        """Delete every item of the state table (routing ledger, interaction claims, shared token)."""
        dynamodb = self.moto.client("dynamodb")
        for page in dynamodb.get_paginator("scan").paginate(TableName=self.state_table, ProjectionExpression="pk"):
            for item in page.get("Items", []):
                dynamodb.delete_item(TableName=self.state_table, Key={"pk": item["pk"]})

    def reset(self) -> None:
        """Reset runtime state between tests: emulator state (see :meth:`SalesforceEmulator.reset`), Connect
        contacts and log, and every object in the transcript bucket. Seeded configuration stays."""
        self.salesforce.reset()
        self.connect.reset()
        self.clear_state_table()
        s3 = self.moto.client("s3")
        listed = s3.list_objects_v2(Bucket=self.transcripts_bucket).get("Contents", [])
        if listed:
            s3.delete_objects(Bucket=self.transcripts_bucket, Delete={"Objects": [{"Key": o["Key"]} for o in listed]})

    @contextlib.contextmanager
    def environment(self) -> Iterator[dict[str, str]]:
        """Overlay ``os.environ`` with :attr:`env` for the block, then restore it exactly.

        Also hides ``AWS_PROFILE``, ``AWS_DEFAULT_PROFILE``, ``AWS_SESSION_TOKEN``, ``AWS_SECURITY_TOKEN`` and
        other ``AWS_ENDPOINT_URL_<SERVICE>`` variables, and calls ``connect_omni.container.reset()`` on entry
        and exit when that module is importable.

        Yields
        ------
        dict of str to str
            :attr:`env`.
        """
        saved = dict(os.environ)
        try:
            for name in list(os.environ):
                if name in _AWS_VARIABLES_TO_HIDE or (name.startswith("AWS_ENDPOINT_URL_") and name not in self.env):
                    del os.environ[name]
            os.environ.update(self.env)
            _reset_container()
            yield self.env
        finally:
            os.environ.clear()
            os.environ.update(saved)
            _reset_container()

    def stop(self) -> None:
        """Stop every server and join their threads (idempotent). moto's data stays in the process."""
        self.connect.stop()
        self.moto.stop()
        self.salesforce.stop()

    def __enter__(self) -> Standins:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def state_table_schema() -> dict[str, Any]:
    """``KeySchema``, ``AttributeDefinitions`` and ``BillingMode`` of the template's ``StateTable``, read from
    ``template.yaml`` so the stand-in table cannot drift from the deployed one."""
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    _Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load((Path(__file__).resolve().parent.parent / "template.yaml").read_text(), Loader=_Loader)
    props = template["Resources"]["StateTable"]["Properties"]
    return {k: props[k] for k in ("KeySchema", "AttributeDefinitions", "BillingMode")}


def _reset_container() -> None:
    try:
        from connect_omni import container  # type: ignore[import-not-found]
    except ImportError:
        return
    reset = getattr(container, "reset", None)
    if callable(reset):
        reset()


def main(argv: list[str] | None = None) -> int:
    """``python -m localdev.standins --env-file PATH``: start, write ``KEY=VALUE`` lines, serve until Ctrl-C.

    Returns
    -------
    int
        Exit status (0).
    """
    parser = argparse.ArgumentParser(prog="python -m localdev.standins", description=__doc__.split("\n\n")[0])
    parser.add_argument("--env-file", type=Path, required=True, help="where to write the environment")
    parser.add_argument("--json", type=Path, help="also write seeded ids (queues, users, channel) as JSON")
    args = parser.parse_args(argv)
    with Standins.start() as standins:
        args.env_file.write_text("".join(f"{k}={v}\n" for k, v in standins.env.items()))
        if args.json:
            args.json.write_text(json.dumps(_describe(standins), indent=2) + "\n")
        print(
            f"stand-ins up in {standins.startup_seconds:.2f}s; env in {args.env_file}; Ctrl-C to stop",
            file=sys.stderr,
            flush=True,
        )
        done = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: done.set())
        with contextlib.suppress(KeyboardInterrupt):
            while not done.wait(0.2):
                pass
    return 0


def _describe(standins: Standins) -> dict[str, Any]:
    return {
        "channelAddressIdentifier": standins.channel_address_identifier,
        "authorizationContext": standins.authorization_context,
        "callCenterId": standins.call_center_id,
        "instanceArn": standins.instance_arn,
        "queues": [vars(q) for q in standins.queues],
        "users": [vars(u) for u in standins.users],
        "salesforceAdmin": f"{standins.salesforce.base_url}/__admin/",
    }


if __name__ == "__main__":
    raise SystemExit(main())
