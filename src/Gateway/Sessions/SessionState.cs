namespace Gateway.Sessions;

public enum SessionState
{
    Open,
    Closed,
}
