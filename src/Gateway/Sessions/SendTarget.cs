namespace Gateway.Sessions;

/// <summary>Where an injected payload goes.</summary>
public enum SendTarget
{
    /// <summary>The session's peer: the connected client, or the server of an outbound session.</summary>
    Client,

    /// <summary>A relay session's upstream server.</summary>
    Upstream,
}

internal readonly record struct Outgoing(byte[] Payload, SendTarget Target, TaskCompletionSource? Delivered = null);
