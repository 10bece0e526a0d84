namespace Gateway.Listeners;

/// <summary>Transport of a listener and of the sessions it accepts.</summary>
public enum ListenerProtocol
{
    Tcp,
    Udp,
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
            default:
                protocol = default;
                return false;
        }
    }
}
