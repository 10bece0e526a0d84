using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Gateway.Listeners;
using Gateway.Sessions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Gateway.Connections;

/// <summary>
/// Refuses a relay upstream or an outbound connection that would reach the gateway itself (its HTTP
/// endpoint or one of its listeners): that is a loop that feeds on its own traffic.
/// </summary>
internal sealed class SelfEndpoints(IServer server)
{
    public async Task ThrowIfSelfAsync(DialTarget target, IEnumerable<GatewayListener> listeners, CancellationToken cancellationToken)
    {
        if (target.Protocol == ListenerProtocol.Unix)
        {
            var path = string.IsNullOrWhiteSpace(target.Path) ? null : Path.GetFullPath(target.Path);
            if (listeners.FirstOrDefault(l => l.Protocol == ListenerProtocol.Unix && l.Path == path) is { } own)
            {
                throw Loop(target, $"listener '{own.Name}'");
            }

            return;
        }

        if (string.IsNullOrWhiteSpace(target.Host) || target.Port is not { } port)
        {
            return; // incomplete: the dialer says what is missing
        }

        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(target.Host.Trim('[', ']'), out var ip) ? [ip] : await Dns.GetHostAddressesAsync(target.Host, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            return; // unknown host: the dialer reports it
        }

        var local = LocalAddresses();
        foreach (var address in addresses.Select(Normalize).Where(a => IPAddress.IsLoopback(a) || local.Contains(a)))
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

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static HashSet<IPAddress> LocalAddresses()
    {
        var addresses = new HashSet<IPAddress> { IPAddress.Any, IPAddress.IPv6Any };
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
