using System.Net;
using System.Net.Sockets;
using Gateway.Configuration;
using Gateway.Listeners;
using Gateway.Sessions;
using Microsoft.Extensions.Options;

namespace Gateway.Connections;

/// <summary>
/// Every place the gateway reaches out (connections, replays, relay upstreams, sendto) asks here first:
/// the target must be complete, allowed by <c>Gateway:Outbound:AllowedTargets</c> (403 otherwise) and not
/// the gateway itself (400, a loop).
/// </summary>
internal sealed class OutboundGuard(SelfEndpoints self, IOptions<GatewayOptions> options)
{
    private readonly TargetPattern[] _allowed = [.. options.Value.Outbound.AllowedTargets.Select(t => TargetPattern.TryParse(t, out var p) ? p : null!).Where(p => p is not null)];

    /// <summary>Checks <paramref name="target"/>; returns what its host resolved to (empty for unix), for checks that come later.</summary>
    public async Task<IPAddress[]> CheckAsync(DialTarget target, IEnumerable<GatewayListener> listeners, CancellationToken cancellationToken)
    {
        var description = target.Describe(); // 400 when incomplete
        IPAddress[] addresses = [];
        if (target.Protocol != ListenerProtocol.Unix)
        {
            try
            {
                addresses = IPAddress.TryParse(target.Host!.Trim('[', ']'), out var ip)
                    ? [ip]
                    : await Dns.GetHostAddressesAsync(target.Host!, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException) when (_allowed.Length == 0)
            {
                // Unknown host and nothing to match: the dialer reports it.
            }
            catch (SocketException ex)
            {
                throw Refused(description, $"its host cannot be resolved ({ex.Message})");
            }
        }

        ThrowIfNotAllowed(target, description, addresses);
        self.ThrowIfSelf(target, addresses, listeners);
        return addresses;
    }

    /// <summary>The loop check alone, once more listeners are known (a new relay's own port is known only after bind).</summary>
    public void ThrowIfSelf(DialTarget target, IPAddress[] addresses, IEnumerable<GatewayListener> listeners) =>
        self.ThrowIfSelf(target, addresses, listeners);

    private void ThrowIfNotAllowed(DialTarget target, string description, IPAddress[] addresses)
    {
        if (_allowed.Length == 0)
        {
            return;
        }

        var allowed = target.Protocol == ListenerProtocol.Unix
            ? UnixSocketFiles.RealPath(Path.GetFullPath(target.Path!)) is { } real && _allowed.Any(p => p.AllowsUnix(real))
            : _allowed.Any(p => p.Allows(target.Host!, addresses, target.Port!.Value));
        if (!allowed)
        {
            throw Refused(description, "it matches no entry of Gateway:Outbound:AllowedTargets");
        }
    }

    private static CommandException Refused(string description, string why) =>
        new(StatusCodes.Status403Forbidden, "Target not allowed", $"{description} is refused: {why}.");
}
