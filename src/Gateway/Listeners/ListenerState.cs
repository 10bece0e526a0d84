namespace Gateway.Listeners;

public enum ListenerState
{
    Listening,
    Stopped,
    Failed,
}
