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


def test_instance_configuration_read_apis(standins: Standins) -> None:
    client = _connect(standins)
    connect = standins.connect
    functions = [f"arn:aws:lambda:us-east-1:111122223333:function:f{i}" for i in range(30)]
    for arn in functions:
        connect.associate_lambda_function(arn)
    connect.associate_lambda_function(functions[0])  # idempotent
    connect.disassociate_lambda_function(functions[-1])
    pages = client.get_paginator("list_lambda_functions").paginate(InstanceId=standins.instance_id)
    assert [arn for page in pages for arn in page["LambdaFunctions"]] == functions[:-1]

    inbound = connect.put_contact_flow("Inbound", {"Version": "2019-10-30", "Actions": []}, description="d")
    saved = connect.put_contact_flow("Draft", "{}", "QUEUE_TRANSFER", status="SAVED")
    try:
        listed = client.list_contact_flows(InstanceId=standins.instance_arn)["ContactFlowSummaryList"]
        assert {(f["Name"], f["ContactFlowType"], f["ContactFlowStatus"]) for f in listed} == {
            ("Inbound", "CONTACT_FLOW", "PUBLISHED"),
            ("Draft", "QUEUE_TRANSFER", "SAVED"),
        }
        only = client.list_contact_flows(InstanceId=standins.instance_id, ContactFlowTypes=["QUEUE_TRANSFER"])
        assert [f["Id"] for f in only["ContactFlowSummaryList"]] == [saved.flow_id]
        flow = client.describe_contact_flow(InstanceId=standins.instance_id, ContactFlowId=inbound.flow_id)
        assert flow["ContactFlow"]["Arn"] == f"{standins.instance_arn}/contact-flow/{inbound.flow_id}"
        assert json.loads(flow["ContactFlow"]["Content"]) == {"Version": "2019-10-30", "Actions": []}
        assert flow["ContactFlow"]["Description"] == "d" and flow["ContactFlow"]["State"] == "ACTIVE"
    finally:
        connect.remove_contact_flow(inbound.flow_id)
        connect.remove_contact_flow(saved.flow_id)
        for arn in functions:
            connect.disassociate_lambda_function(arn)


def test_seeded_queues_and_agent_are_described(standins: Standins) -> None:
    client = _connect(standins)
    for queue in standins.queues:
        queue_id = queue.connect_queue_arn.rpartition("/")[2]
        described = client.describe_queue(InstanceId=standins.instance_id, QueueId=queue_id)["Queue"]
        assert described["QueueArn"] == queue.connect_queue_arn and described["Name"] == queue.name
    user_id = standins.users[0].connect_agent_arn.rpartition("/")[2]
    user = client.describe_user(InstanceId=standins.instance_id, UserId=user_id)["User"]
    assert user["Arn"] == standins.users[0].connect_agent_arn
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_queue(InstanceId=standins.instance_id, QueueId="00000000-0000-0000-0000-000000000000")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_user(InstanceId="11111111-1111-1111-1111-111111111111", UserId=user_id)
    with pytest.raises(ValueError, match="not a queue ARN of"):
        standins.connect.put_queue("arn:aws:connect:us-east-1:111122223333:instance/other/queue/q", "Elsewhere")


def test_storage_config_can_be_removed(standins: Standins) -> None:
    client = _connect(standins)
    try:
        standins.connect.remove_storage_config("CHAT_TRANSCRIPTS")
        configs = client.list_instance_storage_configs(InstanceId=standins.instance_id, ResourceType="CHAT_TRANSCRIPTS")
        assert configs["StorageConfigs"] == []
    finally:
        bucket, prefix = standins.transcripts_bucket, standins.transcripts_prefix
        standins.connect.set_storage_config("CHAT_TRANSCRIPTS", bucket, prefix)
