"""The Connect stand-in through a real boto3 client, and the moto server through the Standins env."""

from __future__ import annotations

import json

import boto3
import pytest

from localdev.standins import Standins

pytestmark = pytest.mark.standins


def _connect(standins: Standins):
    return boto3.client(
        "connect",
        region_name="us-east-1",
        endpoint_url=standins.connect.endpoint_url,
        aws_access_key_id="AKIADUMMY",
        aws_secret_access_key="dummy",
    )


def test_get_and_update_contact_attributes(standins: Standins) -> None:
    standins.connect.put_contact("c-1", {"clientId": "abc"}, channel="CHAT")
    client = _connect(standins)
    got = client.get_contact_attributes(InstanceId=standins.instance_id, InitialContactId="c-1")
    assert got["Attributes"] == {"clientId": "abc"}
    client.update_contact_attributes(
        InstanceId=standins.instance_arn, InitialContactId="c-1", Attributes={"psrId": "0JRx"}
    )
    assert standins.connect.contact("c-1").attributes == {"clientId": "abc", "psrId": "0JRx"}
    assert [r["operation"] for r in standins.connect.requests] == ["GetContactAttributes", "UpdateContactAttributes"]


def test_describe_contact_parses(standins: Standins) -> None:
    standins.connect.put_contact(
        "c-2",
        {},
        initial_contact_id="c-1",
        previous_contact_id="c-1",
        initiation_method="TRANSFER",
        queue_id="q-1",
        agent_id="a-1",
        disconnected=True,
    )
    contact = _connect(standins).describe_contact(InstanceId=standins.instance_arn, ContactId="c-2")["Contact"]
    assert contact["Id"] == "c-2"
    assert contact["InitialContactId"] == "c-1" and contact["PreviousContactId"] == "c-1"
    assert contact["InitiationMethod"] == "TRANSFER" and contact["Channel"] == "CHAT"
    assert contact["QueueInfo"]["Id"] == "q-1" and contact["AgentInfo"]["Id"] == "a-1"
    assert contact["DisconnectTimestamp"] >= contact["InitiationTimestamp"]
    assert contact["Arn"] == f"{standins.instance_arn}/contact/c-2"


def test_unknown_contact_and_instance_are_resource_not_found(standins: Standins) -> None:
    client = _connect(standins)
    with pytest.raises(client.exceptions.ResourceNotFoundException) as missing_contact:
        client.get_contact_attributes(InstanceId=standins.instance_id, InitialContactId="nope")
    assert missing_contact.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    standins.connect.put_contact("c-3", {})
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_contact(InstanceId="00000000-0000-0000-0000-000000000000", ContactId="c-3")


def test_list_instance_storage_configs(standins: Standins) -> None:
    configs = _connect(standins).list_instance_storage_configs(
        InstanceId=standins.instance_id, ResourceType="CHAT_TRANSCRIPTS"
    )["StorageConfigs"]
    assert configs == [
        {
            "AssociationId": configs[0]["AssociationId"],
            "StorageType": "S3",
            "S3Config": {"BucketName": standins.transcripts_bucket, "BucketPrefix": standins.transcripts_prefix},
        }
    ]
    empty = _connect(standins).list_instance_storage_configs(
        InstanceId=standins.instance_id, ResourceType="CALL_RECORDINGS"
    )
    assert empty["StorageConfigs"] == []


def test_put_contact_rejects_non_string_attributes(standins: Standins) -> None:
    with pytest.raises(ValueError, match="map of strings"):
        standins.connect.put_contact("c-4", {"n": 1})  # type: ignore[dict-item]


def test_environment_reaches_moto_and_connect(standins: Standins) -> None:
    standins.connect.put_contact("c-5", {"k": "v"})
    with standins.environment() as env:
        secret = json.loads(
            boto3.client("secretsmanager").get_secret_value(SecretId=env["SALESFORCE_SECRET_ID"])["SecretString"]
        )
        s3 = boto3.client("s3")
        s3.put_object(Bucket=env["CHAT_TRANSCRIPTS_BUCKET"], Key=f"{env['CHAT_TRANSCRIPTS_PREFIX']}/t.json", Body=b"{}")
        attributes = boto3.client("connect").get_contact_attributes(
            InstanceId=env["CONNECT_INSTANCE_ARN"], InitialContactId="c-5"
        )["Attributes"]
    assert set(secret) == {"CONNECTED_APP_CONSUMER_KEY", "CERTIFICATE_PRIVATE_KEY", "API_ACCESS_USER_NAME"}
    assert secret["CONNECTED_APP_CONSUMER_KEY"] == standins.consumer_key
    assert secret["CERTIFICATE_PRIVATE_KEY"].startswith("-----BEGIN PRIVATE KEY-----")
    assert attributes == {"k": "v"}
    keys = standins.moto.client("s3").list_objects_v2(Bucket=standins.transcripts_bucket)["Contents"]
    assert [k["Key"] for k in keys] == [f"{standins.transcripts_prefix}/t.json"]
    standins.reset()
    assert "Contents" not in standins.moto.client("s3").list_objects_v2(Bucket=standins.transcripts_bucket)
