namespace Gateway.Sessions;

public enum SessionKind
{
    /// <summary>A peer connected to one of the gateway's listeners.</summary>
    Accepted,

    /// <summary>The gateway connected out to a server.</summary>
    Outbound,

    /// <summary>A client of a relay listener, paired with its own connection to the upstream server.</summary>
    Relay,
}
