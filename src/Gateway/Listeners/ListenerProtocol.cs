namespace Gateway.Listeners;

/// <summary>Transport of a listener and of the sessions it accepts.</summary>
public enum ListenerProtocol
{
    Tcp,
    Udp,

    /// <summary>Unix domain stream socket (<c>AF_UNIX</c>, <c>SOCK_STREAM</c>) at a file system path.</summary>
    Unix,
}

internal static class ListenerProtocols
{
    public static bool TryParse(string? value, out ListenerProtocol protocol)
    {
        switch (value?.Trim().ToLowerInvariant())
        {
            case "tcp":
                protocol = ListenerProtocol.Tcp;
                return true;
            case "udp":
                protocol = ListenerProtocol.Udp;
                return true;
            case "unix":
                protocol = ListenerProtocol.Unix;
                return true;
            default:
                protocol = default;
                return false;
        }
    }
}
