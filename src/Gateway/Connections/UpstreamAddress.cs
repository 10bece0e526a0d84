using System.Net;
using Gateway.Configuration;
using Gateway.Listeners;

namespace Gateway.Connections;

/// <summary>A relay listener's <c>upstream</c>: <c>host:port</c>, <c>[v6]:port</c>, or <c>unix:/path</c> for stream listeners.</summary>
internal static class UpstreamAddress
{
    public static bool TryParse(ListenerOptions listener, ListenerProtocol protocol, out DialTarget target, out string error)
    {
        target = null!;
        error = "";
        var text = listener.Upstream?.Trim() ?? "";
        if (text.StartsWith("unix:", StringComparison.OrdinalIgnoreCase))
        {
            if (protocol == ListenerProtocol.Udp)
            {
                error = "a udp relay needs a host:port upstream (unix sockets here are stream sockets)";
                return false;
            }

            target = new DialTarget(ListenerProtocol.Unix, null, null, text["unix:".Length..], listener.UpstreamTls);
            return true;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], out var port) || port is < 1 or > 65535)
        {
            error = $"'{text}' is not host:port (e.g. 127.0.0.1:6379, [::1]:80, localhost:8080) or unix:/path";
            return false;
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':') || (IPAddress.TryParse(host, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6))
        {
            error = $"'{text}': write IPv6 hosts in brackets, e.g. [::1]:80";
            return false;
        }

        target = new DialTarget(protocol == ListenerProtocol.Udp ? ListenerProtocol.Udp : ListenerProtocol.Tcp, host, port, null, listener.UpstreamTls);
        return true;
    }
}
