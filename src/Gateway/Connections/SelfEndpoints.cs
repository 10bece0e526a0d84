using System.Net;
using System.Net.NetworkInformation;
using Gateway.Listeners;
using Gateway.Sessions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Gateway.Connections;

/// <summary>
/// Refuses a relay upstream, an outbound connection or a sendto that would reach the gateway itself (its
/// HTTP endpoint or one of its listeners): that is a loop that feeds on its own traffic. Unspecified
/// addresses (0.0.0.0, ::) reach this host, so they count as local; Unix targets are compared by the
/// file they lead to (device and inode), whatever route the path takes to it.
/// </summary>
internal sealed class SelfEndpoints(IServer server)
{
    /// <param name="addresses">What the target's host resolves to (empty for unix targets).</param>
    public void ThrowIfSelf(DialTarget target, IReadOnlyList<IPAddress> addresses, IEnumerable<GatewayListener> listeners)
    {
        if (target.Protocol == ListenerProtocol.Unix)
        {
            var file = string.IsNullOrWhiteSpace(target.Path) ? null : UnixSocketFiles.Identify(target.Path, followLinks: true);
            var path = string.IsNullOrWhiteSpace(target.Path) ? null : Path.GetFullPath(target.Path);
            if (listeners.FirstOrDefault(l => l.Protocol == ListenerProtocol.Unix
                    && (l.Path == path || (file is { } f && l.SocketFile is { } own && own.SameFileAs(f)))) is { } listener)
            {
                throw Loop(target, $"listener '{listener.Name}'");
            }

            return;
        }

        if (target.Port is not { } port)
        {
            return; // incomplete: the dialer says what is missing
        }

        var local = LocalAddresses();
        foreach (var address in addresses.Select(ToLocal).Where(a => IPAddress.IsLoopback(a) || local.Contains(a)))
        {
            if (target.Protocol == ListenerProtocol.Tcp && HttpEndpoints().Any(e => e.Port == port && Covers(e.Address, address)))
            {
                throw Loop(target, "the gateway's HTTP endpoint");
            }

            if (listeners.FirstOrDefault(l => l.Protocol == target.Protocol && l.Port == port && l.Address is { } bound && Covers(bound, address)) is { } own)
            {
                throw Loop(target, $"listener '{own.Name}'");
            }
        }
    }

    private static CommandException Loop(DialTarget target, string what) =>
        CommandException.BadInput($"{target.Describe()} is {what} of this gateway: relaying or connecting to itself would loop.");

    private IEnumerable<IPEndPoint> HttpEndpoints()
    {
        foreach (var url in server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
        {
            if (Security.ServerUrls.Parse(url) is { } endpoint)
            {
                yield return endpoint;
            }
        }
    }

    /// <summary>Whether a socket bound to <paramref name="bound"/> receives what is sent to <paramref name="target"/> (a local address).</summary>
    private static bool Covers(IPAddress bound, IPAddress target)
    {
        bound = Normalize(bound);
        return bound.Equals(IPAddress.Any) || bound.Equals(IPAddress.IPv6Any) || bound.Equals(target)
            || (IPAddress.IsLoopback(bound) && IPAddress.IsLoopback(target));
    }

    /// <summary>A connection to an unspecified address (0.0.0.0, ::, ::ffff:0.0.0.0) goes to this host's loopback.</summary>
    private static IPAddress ToLocal(IPAddress address)
    {
        address = Normalize(address);
        return address.Equals(IPAddress.Any) ? IPAddress.Loopback
            : address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
            : address;
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static HashSet<IPAddress> LocalAddresses()
    {
        var addresses = new HashSet<IPAddress>();
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
                {
                    addresses.Add(Normalize(unicast.Address));
                }
            }
        }
        catch (NetworkInformationException)
        {
            // Interfaces unknown: loopback is still checked.
        }

        return addresses;
    }
}
