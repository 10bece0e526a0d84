namespace Gateway.Sessions;

internal enum SendOutcome
{
    Accepted,
    Closed,
    QueueFull,
}
