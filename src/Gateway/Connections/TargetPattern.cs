using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Connections;

/// <summary>
/// One entry of <c>Gateway:Outbound:AllowedTargets</c>: <c>host:port</c> (host a name, <c>*.domain</c>, <c>*</c>,
/// an IP or a CIDR range, IPv6 in brackets; port a number, <c>lo-hi</c> or <c>*</c>), a bare IP or CIDR range
/// (any port), or <c>unix:/path/prefix</c> (socket files under that path, links resolved).
/// </summary>
internal sealed record TargetPattern(string Text, string? UnixPrefix, string? Host, IPAddress? Network, int PrefixLength, int LowPort, int HighPort)
{
    public const string Usage = "host:port (a name, *.domain or *; port a number, lo-hi or *), an IP or CIDR range with or without :port ([v6]:port), or unix:/path/prefix";

    public static bool TryParse(string? text, out TargetPattern pattern)
    {
        pattern = null!;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        if (text.StartsWith("unix:", StringComparison.OrdinalIgnoreCase))
        {
            var prefix = text["unix:".Length..];
            if (!prefix.StartsWith('/') || Listeners.UnixSocketFiles.HasParentSegments(prefix))
            {
                return false;
            }

            pattern = new TargetPattern(text, prefix, null, null, 0, 0, 0);
            return true;
        }

        // A bare address or range: any port.
        if (TryParseNetwork(text, out var bare, out var bareLength))
        {
            pattern = new TargetPattern(text, null, null, bare, bareLength, 1, 65535);
            return true;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !TryParsePorts(text[(colon + 1)..], out var low, out var high))
        {
            return false;
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        if (TryParseNetwork(host, out var network, out var length))
        {
            pattern = new TargetPattern(text, null, null, network, length, low, high);
            return true;
        }

        var name = host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host;
        if (host != "*" && (name.Length == 0 || Uri.CheckHostName(name) != UriHostNameType.Dns))
        {
            return false;
        }

        pattern = new TargetPattern(text, null, host.ToLowerInvariant(), null, 0, low, high);
        return true;
    }

    /// <summary>Whether a host named as given (and resolving to <paramref name="addresses"/>) at <paramref name="port"/> is allowed.</summary>
    public bool Allows(string host, IReadOnlyList<IPAddress> addresses, int port)
    {
        if (UnixPrefix is not null || port < LowPort || port > HighPort)
        {
            return false;
        }

        if (Network is not null)
        {
            // Every address the dialer may try must be in range.
            return addresses.Count > 0 && addresses.All(InRange);
        }

        host = host.Trim('[', ']').TrimEnd('.').ToLowerInvariant();
        return Host == "*"
            || Host == host
            || (Host!.StartsWith("*.", StringComparison.Ordinal) && host.EndsWith(Host[1..], StringComparison.Ordinal));
    }

    /// <summary>Whether a Unix socket at <paramref name="realPath"/> (links already resolved) is under this prefix.</summary>
    public bool AllowsUnix(string realPath)
    {
        if (UnixPrefix is null)
        {
            return false;
        }

        var prefix = Listeners.UnixSocketFiles.RealPath(UnixPrefix) ?? UnixPrefix;
        return realPath == prefix
            || realPath.StartsWith(prefix.EndsWith('/') ? prefix : prefix + "/", StringComparison.Ordinal);
    }

    private bool InRange(IPAddress address)
    {
        address = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        if (address.AddressFamily != Network!.AddressFamily)
        {
            return false;
        }

        var a = address.GetAddressBytes();
        var n = Network.GetAddressBytes();
        for (int bit = 0; bit < PrefixLength; bit++)
        {
            var mask = 0x80 >> (bit % 8);
            if ((a[bit / 8] & mask) != (n[bit / 8] & mask))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryParseNetwork(string text, out IPAddress network, out int length)
    {
        var slash = text.IndexOf('/');
        var address = slash < 0 ? text : text[..slash];
        length = 0;
        if (!IPAddress.TryParse(address, out network!) || (address.Contains(':') != (network.AddressFamily == AddressFamily.InterNetworkV6)))
        {
            return false;
        }

        network = network.IsIPv4MappedToIPv6 ? network.MapToIPv4() : network;
        var bits = network.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (slash < 0)
        {
            length = bits;
            return true;
        }

        return int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out length) && length <= bits;
    }

    private static bool TryParsePorts(string text, out int low, out int high)
    {
        low = 1;
        high = 65535;
        if (text == "*")
        {
            return true;
        }

        var dash = text.IndexOf('-');
        var ok = dash < 0
            ? int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out low) && (high = low) > 0
            : int.TryParse(text[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out low)
              && int.TryParse(text[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out high);
        return ok && low >= 1 && high <= 65535 && low <= high;
    }
}
