"""A local stand-in for one Salesforce org: JWT token grant, Interaction Service API, SOQL over
CallCenterRoutingMap, fault injection. See :class:`SalesforceEmulator`.

Quick start::

    from localdev.salesforce_emulator import SalesforceEmulator

    with SalesforceEmulator.start() as emu:
        emu.register_client(consumer_key, user_name, public_key_pem)
        emu.add_channel(channel_id, "SCC_AC_Chat_Channel", routing=emu.outcome(queue_id="00G..."))
        # point clients at emu.base_url, trust emu.ca_file through REQUESTS_CA_BUNDLE
"""

from .admin import EmulatorAdminClient
from .emulator import ADMIN_METHODS, RegisteredClient, SalesforceEmulator
from .errors import MESSAGES, InteractionError
from .ids import is_id, new_id, same_id, to_15, to_18
from .state import Channel, Fault, RecordedRequest, RoutingOutcome

__all__ = [
    "ADMIN_METHODS",
    "MESSAGES",
    "Channel",
    "EmulatorAdminClient",
    "Fault",
    "InteractionError",
    "RecordedRequest",
    "RegisteredClient",
    "RoutingOutcome",
    "SalesforceEmulator",
    "is_id",
    "new_id",
    "same_id",
    "to_15",
    "to_18",
]
