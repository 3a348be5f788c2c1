"""Expected block paths through the shipped inbound flow, shared by the runner and scenario tests.

Each step is ``(action identifier, action type, branch taken)`` as ``RunResult.path`` reports it.
"""

MODULE_STEPS = [
    ("enable-flow-logging", "UpdateFlowLoggingBehavior", "Success"),
    ("enable-contact-lens", "InvokeFlowModule", "Success"),
    ("enable-chat-analytics", "UpdateContactRecordingBehavior", "Success"),
    ("return-to-caller", "EndFlowModuleExecution", "end"),
    ("set-disconnect-flow", "UpdateContactEventHooks", "Success"),
    ("set-channel-address", "UpdateContactAttributes", "Success"),
    ("set-hours-queue", "UpdateContactTargetQueue", "Success"),
    ("check-hours", "CheckHoursOfOperation", "Equals True"),
]
SESSION_OK = [
    ("create-session-loop", "Loop", "ContinueLooping"),
    ("create-messaging-session", "InvokeLambdaFunction", "Success"),
    ("save-session-attributes", "UpdateContactAttributes", "Success"),
]
