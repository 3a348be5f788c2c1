"""What the Flow language reference says about each action type, as tables the checker and the runner share.

Every entry comes from the action's page in the Amazon Connect API Reference (:data:`DOCS`; sections
*Restrictions* and *Errors*) or, for channels, from the admin guide's table of block support by channel
(:data:`CHANNEL_SOURCE`). Flow types are the API's (:data:`localdev.flows.model.FLOW_TYPES`): "inbound flows"
are ``CONTACT_FLOW``, "transfer flows" ``AGENT_TRANSFER`` and ``QUEUE_TRANSFER``, "whisper flows" the three
``*_WHISPER``, "hold flows" ``CUSTOMER_HOLD`` and ``AGENT_HOLD``. An action type absent from a table has no
restriction known here.
"""

from __future__ import annotations

API = "https://docs.aws.amazon.com/connect/latest/APIReference/"
FLOW_LANGUAGE = API + "flow-language.html"
ACTIONS_PAGE = API + "flow-language-actions.html"
PARAMETER_RESTRICTIONS = API + "flow-language-actions-parameter-restrictions.html"
CREATE_CONTACT_FLOW = API + "API_CreateContactFlow.html"
CHANNEL_SOURCE = "https://docs.aws.amazon.com/connect/latest/adminguide/block-support-by-channel.html"

DOCS: dict[str, str] = {
    "CheckHoursOfOperation": API + "flow-control-actions-checkhoursofoperation.html",
    "CheckMetricData": API + "flow-control-actions-checkmetricdata.html",
    "CheckOutboundCallStatus": API + "flow-control-actions-checkoutboundcallstatus.html",
    "CheckVoiceId": API + "flow-control-actions-checkvoiceid.html",
    "Compare": API + "flow-control-actions-compare.html",
    "CompleteOutboundCall": API + "contact-actions-completeoutboundcall.html",
    "ConnectParticipantWithLexBot": API + "participant-actions-connectparticipantwithlexbot.html",
    "CreateCallbackContact": API + "interactions-createcallbackcontact.html",
    "CreateCustomerProfile": API + "interactions-createcustomerprofile.html",
    "DequeueContactAndTransferToQueue": API + "contact-actions-dequeuecontactandtransfertoqueue.html",
    "DisconnectParticipant": API + "participant-actions-disconnectparticipant.html",
    "DistributeByPercentage": API + "flow-control-actions-distributebypercentage.html",
    "EndFlowExecution": API + "flow-control-actions-endflowexecution.html",
    "EndFlowModuleExecution": API + "endflowmoduleexecution.html",
    "GetCustomerProfile": API + "interactions-getcustomerprofile.html",
    "GetMetricData": API + "flow-control-actions-getmetricdata.html",
    "GetParticipantInput": API + "participant-actions-getparticipantinput.html",
    "InvokeFlowModule": API + "flow-language-actions-invoke-flow-module.html",
    "InvokeLambdaFunction": API + "interactions-invokelambdafunction.html",
    "Loop": API + "flow-control-actions-loop.html",
    "MessageParticipant": API + "participant-actions-messageparticipant.html",
    "MessageParticipantIteratively": API + "participant-actions-messageparticipantiteratively.html",
    "ShowView": API + "participant-actions-showview.html",
    "StartVoiceIdStream": API + "flow-control-actions-startvoiceidstream.html",
    "TransferContactToAgent": API + "contact-actions-transfercontacttoagent.html",
    "TransferContactToQueue": API + "contact-actions-transfercontacttoqueue.html",
    "TransferParticipantToThirdParty": API + "participant-actions-transferparticipanttothirdparty.html",
    "TransferToFlow": API + "flow-control-actions-transfertoflow.html",
    "UpdateContactAttributes": API + "contact-actions-updatecontactattributes.html",
    "UpdateContactCallbackNumber": API + "contact-actions-updatecontactcallbacknumber.html",
    "UpdateContactEventHooks": API + "contact-actions-updatecontacteventhooks.html",
    "UpdateContactMediaStreamingBehavior": API + "contact-actions-updatecontactmediastreamingbehavior.html",
    "UpdateContactRecordingBehavior": API + "contact-actions-updatecontactrecordingbehavior.html",
    "UpdateContactRoutingBehavior": API + "contact-actions-updatecontactroutingbehavior.html",
    "UpdateContactTargetQueue": API + "contact-actions-updatecontacttargetqueue.html",
    "UpdateContactTextToSpeechVoice": API + "contact-actions-updatecontacttexttospeechvoice.html",
    "UpdateCustomerProfile": API + "interactions-updatecustomerprofile.html",
    "UpdateFlowLoggingBehavior": API + "flow-control-actions-updateflowloggingbehavior.html",
    "UpdatePreviousContactParticipantState": API + "contact-actions-updatepreviouscontactparticipantstate.html",
    "Wait": API + "flow-control-actions-wait.html",
}
"""Action type -> its page in the Flow language reference."""

_INBOUND = frozenset({"CONTACT_FLOW"})
_TRANSFER = frozenset({"AGENT_TRANSFER", "QUEUE_TRANSFER"})
_WHISPER = frozenset({"CUSTOMER_WHISPER", "AGENT_WHISPER", "OUTBOUND_WHISPER"})
_QUEUE = frozenset({"CUSTOMER_QUEUE"})
_HOLD = frozenset({"CUSTOMER_HOLD", "AGENT_HOLD"})

ALLOWED_FLOW_TYPES: dict[str, frozenset[str]] = {
    # "This action is available in inbound flows, transfer flows, and customer queue flows."
    "CheckHoursOfOperation": _INBOUND | _TRANSFER | _QUEUE,
    "CheckMetricData": _INBOUND | _TRANSFER | _QUEUE,
    "ConnectParticipantWithLexBot": _INBOUND | _TRANSFER | _QUEUE,
    "CreateCallbackContact": _INBOUND | _TRANSFER | _QUEUE,
    "DistributeByPercentage": _INBOUND | _TRANSFER | _QUEUE,
    "GetParticipantInput": _INBOUND | _TRANSFER | _QUEUE,
    "TransferParticipantToThirdParty": _INBOUND | _TRANSFER | _QUEUE,
    "UpdateContactCallbackNumber": _INBOUND | _TRANSFER | _QUEUE,
    # "supported in inbound contact flows and transfer flows"
    "TransferContactToQueue": _INBOUND | _TRANSFER,
    "TransferToFlow": _INBOUND | _TRANSFER,
    "UpdateContactTargetQueue": _INBOUND | _TRANSFER,
    "UpdatePreviousContactParticipantState": _INBOUND | _TRANSFER,
    # "only in whisper flows and customer queue flows"
    "EndFlowExecution": _WHISPER | _QUEUE,
    # "only in the customer queue flow"
    "DequeueContactAndTransferToQueue": _QUEUE,
    # "Customer Queue, Customer Hold, and Agent Hold flows"
    "MessageParticipantIteratively": _QUEUE | _HOLD,
    # "contact flows, transfer flows, whisper flows, and customer queue flows ... not in hold flows"
    "MessageParticipant": _INBOUND | _TRANSFER | _WHISPER | _QUEUE,
    "UpdateContactMediaStreamingBehavior": _INBOUND | _TRANSFER | _WHISPER | _QUEUE,
    # "contact flows, transfer flows, outbound whispers, and customer queue flows"
    "UpdateContactRecordingBehavior": _INBOUND | _TRANSFER | _QUEUE | {"OUTBOUND_WHISPER"},
    # "only in inbound contact flows"
    "UpdateContactRoutingBehavior": _INBOUND,
    # "only supports Inbound flow types"
    "InvokeFlowModule": _INBOUND,
    # "supported in only transfer to agent and transfer to queue flows"
    "TransferContactToAgent": _TRANSFER,
    # "can be used in inbound flows and customer queue flows"
    "ShowView": _INBOUND | _QUEUE,
    # "available only in flow modules"
    "EndFlowModuleExecution": frozenset({"MODULE"}),
}
"""Action type -> the flow types its Restrictions allow. A module runs inside the flow that invokes it, so these
are not applied to ``MODULE`` (nor to ``CAMPAIGN``, which the pages do not name), except the module-only and
inbound-only actions (EndFlowModuleExecution, InvokeFlowModule)."""

APPLIES_TO_MODULES = frozenset({"EndFlowModuleExecution", "InvokeFlowModule"})

_VOICE = frozenset({"VOICE"})
CHANNELS: dict[str, frozenset[str]] = {
    "GetParticipantInput": _VOICE,  # Get customer input / Store customer input (DTMF): chat takes the Error branch
    "MessageParticipantIteratively": _VOICE,  # Loop prompts
    "CheckVoiceId": _VOICE,
    "StartVoiceIdStream": _VOICE,
    "TransferContactToAgent": _VOICE,
    "TransferParticipantToThirdParty": _VOICE,  # Transfer to phone number
    "UpdateContactMediaStreamingBehavior": _VOICE,  # Start / Stop media streaming
    "UpdatePreviousContactParticipantState": _VOICE,  # Hold customer or agent
    "CompleteOutboundCall": _VOICE,  # Call phone number
    "CheckOutboundCallStatus": _VOICE,  # Check call progress
    "ShowView": frozenset({"CHAT"}),
    "Wait": frozenset({"CHAT"}),
}
"""Action type -> the channels it works on; on the others the block takes its Error branch (the action pages'
Restrictions and :data:`CHANNEL_SOURCE`)."""

ENDS_FLOW = frozenset({"DisconnectParticipant", "EndFlowExecution", "EndFlowModuleExecution", "TransferContactToAgent"})
"""Actions after which nothing runs: their Transitions may be empty ("Certain Actions terminate ... Transitions must be
defined as an empty object", flow-language-actions; TransferContactToAgent "Ends the current flow")."""

MAY_HAVE_NO_TRANSITIONS = ENDS_FLOW | {"MessageParticipantIteratively"}
"""Also valid with empty Transitions: MessageParticipantIteratively loops its messages until the queue or hold
ends (the console exports hold and queue flows so)."""

DOCUMENTED_ERRORS: dict[str, frozenset[str]] = {
    "InvokeLambdaFunction": frozenset({"NoMatchingError"}),
    "UpdateContactAttributes": frozenset({"NoMatchingError"}),
    "UpdateContactTargetQueue": frozenset({"NoMatchingError"}),
    "TransferContactToQueue": frozenset({"QueueAtCapacity", "NoMatchingError"}),
    "TransferToFlow": frozenset({"NoMatchingError"}),
    "InvokeFlowModule": frozenset({"NoMatchingError"}),
    "Compare": frozenset({"NoMatchingCondition"}),
    "CheckHoursOfOperation": frozenset({"NoMatchingError"}),
    "ConnectParticipantWithLexBot": frozenset({"NoMatchingCondition", "NoMatchingError"}),
    "UpdateContactEventHooks": frozenset({"NoMatchingError"}),
    "Wait": frozenset({"NoMatchingError"}),
}
"""Action type -> the error branches its page documents and a flow should handle (a block without the branch
stops the flow when the error happens)."""

JSONPATH_FIELDS: dict[str, tuple[str, ...]] = {
    "Compare": ("ComparisonValue",),
}
"""Parameters that must be a single JSONPath identifier ("Any single JSONPath identifier", Compare)."""
