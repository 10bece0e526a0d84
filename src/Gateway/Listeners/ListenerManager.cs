using System.Collections.Immutable;
using System.Net.Sockets;
using Gateway.Configuration;
using Gateway.Sessions;

namespace Gateway.Listeners;

/// <summary>
/// Owns the raw listeners: binds the configured ones at start (a listener that cannot bind stops
/// start-up unless it is optional) and, on stop, closes them and every session in a fixed order:
/// stop accepting, ask each session to close, wait up to the timeout, reset the rest.
/// </summary>
internal sealed class ListenerManager(DataPlane plane, ILogger<ListenerManager> logger) : IHostedService
{
    private ImmutableArray<GatewayListener> _listeners = [];

    public ImmutableArray<GatewayListener> Listeners => _listeners;

    public GatewayListener? Find(string id) =>
        _listeners.FirstOrDefault(l => string.Equals(l.Id, id, StringComparison.OrdinalIgnoreCase));

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var listeners = ImmutableArray.CreateBuilder<GatewayListener>();
        var configured = plane.Options.Listeners;
        for (var index = 0; index < configured.Count; index++)
        {
            var options = configured[index];
            GatewayListener listener = ListenerProtocols.TryParse(options.Protocol, out var protocol) && protocol == ListenerProtocol.Udp
                ? new UdpGatewayListener(plane, options)
                : new TcpGatewayListener(plane, options);
            try
            {
                listener.Bind();
                ListenerLog.Listening(logger, listener.Name, listener.Description);
            }
            catch (SocketException ex) when (options.Optional)
            {
                ListenerLog.OptionalBindFailed(logger, listener.Name, listener.Description, ex.Message);
            }
            catch (SocketException ex)
            {
                ListenerLog.BindFailed(logger, listener.Name, listener.Description, ex.Message, index);
                foreach (var bound in listeners)
                {
                    bound.StopAsync("gateway failed to start", TimeSpan.Zero).GetAwaiter().GetResult();
                }

                throw new ListenerBindException($"Listener {listener.Name} cannot bind {listener.Description}: {ex.Message}", ex);
            }

            listeners.Add(listener);
        }

        _listeners = listeners.ToImmutable();
        foreach (var listener in _listeners.Where(l => l.State == ListenerState.Listening))
        {
            listener.Start();
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromSeconds(plane.Options.Shutdown.TimeoutSeconds);
        const string reason = "gateway shutting down";
        foreach (var listener in _listeners)
        {
            ListenerLog.Stopping(logger, listener.Name, listener.Snapshot().Sessions);
        }

        await Task.WhenAll(_listeners.Select(l => l.StopAsync(reason, timeout))).ConfigureAwait(false);

        // Anything left (a session that raced the listener's stop) goes the same way.
        await GatewayListener.CloseSessionsAsync(plane.Sessions.Open.ToArray(), reason, timeout).ConfigureAwait(false);
    }
}

/// <summary>A configured, non-optional listener could not bind: the gateway does not start.</summary>
public sealed class ListenerBindException(string message, Exception inner) : Exception(message, inner);
