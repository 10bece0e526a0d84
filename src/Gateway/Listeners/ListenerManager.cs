using System.Collections.Immutable;
using System.Net.Sockets;
using System.Security.Cryptography;
using Gateway.Configuration;
using Gateway.Sessions;
using Gateway.Traffic;

namespace Gateway.Listeners;

/// <summary>
/// Owns the raw listeners: binds the configured ones at start (a listener that cannot bind stops
/// start-up unless it is optional), adds and removes listeners at runtime, and on stop closes them and
/// every session in a fixed order: stop accepting, ask each session to close, wait up to the timeout,
/// reset the rest.
/// </summary>
internal sealed class ListenerManager(DataPlane plane, Connections.OutboundGuard guard, Security.AuditLog audit, ILogger<ListenerManager> logger) : IHostedService
{
    /// <summary>How long a probe of an existing Unix socket file may wait for its owner to answer.</summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _changes = new(1, 1);
    private ImmutableArray<GatewayListener> _listeners = [];

    public ImmutableArray<GatewayListener> Listeners => _listeners;

    private TimeSpan ShutdownTimeout => TimeSpan.FromSeconds(plane.Options.ShutdownTimeoutSeconds);

    public GatewayListener? Find(string id) =>
        _listeners.FirstOrDefault(l => string.Equals(l.Id, id, StringComparison.OrdinalIgnoreCase));

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var listeners = ImmutableArray.CreateBuilder<GatewayListener>();
        var configured = plane.Options.Listeners;
        for (var index = 0; index < configured.Count; index++)
        {
            var options = configured[index];
            var listener = Create(options);
            try
            {
                await listener.ClearStaleSocketFileAsync(ProbeTimeout).ConfigureAwait(false);
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
                    await bound.StopAsync("gateway failed to start", TimeSpan.Zero).ConfigureAwait(false);
                }

                throw new ListenerBindException($"Listener {listener.Name} cannot bind {listener.Description}: {ex.Message}", ex);
            }

            listeners.Add(listener);
        }

        _listeners = listeners.ToImmutable();
        foreach (var relay in _listeners.Where(l => l.UpstreamTarget is not null))
        {
            // A configured relay to one of the listeners is a loop (the HTTP port is not bound yet to compare),
            // and its upstream must be an allowed target.
            await guard.CheckAsync(relay.UpstreamTarget!, _listeners, cancellationToken).ConfigureAwait(false);
        }
        foreach (var listener in _listeners.Where(l => l.State == ListenerState.Listening))
        {
            listener.Start();
        }

        if (plane.Options.Limits.FittedToFiles is { } lowered)
        {
            ListenerLog.LimitsLowered(logger, lowered);
        }
    }

    /// <summary>
    /// Validates, binds and starts a new listener; refusals are <see cref="CommandException"/>s. Everything
    /// that reads files, resolves names or probes sockets happens before the lock, with bounded waits, so
    /// one slow request never holds up the others.
    /// </summary>
    public async Task<GatewayListener> AddAsync(ListenerOptions options, Security.Actor actor)
    {
        var errors = ListenerRules.Validate(options, field => char.ToLowerInvariant(field[0]) + field[1..]);
        if (errors.Count > 0)
        {
            throw CommandException.BadInput(string.Join(" ", errors));
        }

        ThrowIfAtListenerLimit();
        var listener = CreateChecked(options);
        var upstreamAddresses = listener.UpstreamTarget is { } upstream
            ? await guard.CheckAsync(upstream, _listeners, CancellationToken.None).ConfigureAwait(false)
            : [];
        await listener.ClearStaleSocketFileAsync(ProbeTimeout).ConfigureAwait(false);

        await _changes.WaitAsync().ConfigureAwait(false);
        try
        {
            if (Find(options.Name) is not null)
            {
                throw CommandException.Conflict($"A listener named '{options.Name}' already exists.");
            }

            ThrowIfAtListenerLimit();
            try
            {
                listener.Bind();
            }
            catch (SocketException ex)
            {
                var detail = $"Cannot bind {listener.Description}: {ex.Message}.";
                throw ex.SocketErrorCode == SocketError.AddressAlreadyInUse
                    ? CommandException.Conflict(detail)
                    : CommandException.BadInput(detail);
            }

            if (listener.UpstreamTarget is { } target)
            {
                try
                {
                    // Its own port is known only now: a relay to itself is a loop too (no I/O: names were resolved above).
                    guard.ThrowIfSelf(target, upstreamAddresses, _listeners.Add(listener));
                }
                catch (CommandException)
                {
                    await listener.StopAsync("refused", TimeSpan.Zero).ConfigureAwait(false);
                    throw;
                }
            }

            _listeners = _listeners.Add(listener);
            listener.Start();
            audit.Record(actor, "listener.create", $"listener {listener.Name}", detail: listener.Description + (listener.Upstream is null ? "" : $" relay to {listener.Upstream}"));
            plane.Bus.Publish(new ListenerChanged(listener.Snapshot()));
            return listener;
        }
        finally
        {
            _changes.Release();
        }
    }

    private void ThrowIfAtListenerLimit()
    {
        var max = plane.Options.Limits.MaxListeners;
        if (_listeners.Length >= max)
        {
            throw CommandException.Conflict($"The gateway already has {_listeners.Length} listeners (Gateway:Limits:MaxListeners, {max}): delete one first.");
        }
    }

    /// <summary>Stops a listener (configured or not), closes its sessions and forgets it.</summary>
    public async Task RemoveAsync(string id, Security.Actor actor)
    {
        await _changes.WaitAsync().ConfigureAwait(false);
        GatewayListener listener;
        try
        {
            listener = Find(id) ?? throw CommandException.NotFound($"Listener '{id}' does not exist.");
            _listeners = _listeners.Remove(listener);
        }
        finally
        {
            _changes.Release();
        }

        audit.Record(actor, "listener.delete", $"listener {listener.Name}", detail: $"{listener.Snapshot().Sessions} sessions closed");
        await listener.StopAsync("listener stopped", ShutdownTimeout).ConfigureAwait(false);
        if (listener.State != ListenerState.Stopped)
        {
            // It never bound (an optional listener that failed): still tell watchers it is gone.
            plane.Bus.Publish(new ListenerChanged(listener.Snapshot() with { State = ListenerState.Stopped }));
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        const string reason = "gateway shutting down";
        foreach (var listener in _listeners)
        {
            ListenerLog.Stopping(logger, listener.Name, listener.Snapshot().Sessions);
        }

        await Task.WhenAll(_listeners.Select(l => l.StopAsync(reason, ShutdownTimeout))).ConfigureAwait(false);

        // Anything left (outbound sessions, or one that raced a listener's stop) goes the same way.
        await GatewayListener.CloseSessionsAsync(plane.Sessions.Open.ToArray(), reason, ShutdownTimeout).ConfigureAwait(false);
    }

    private GatewayListener Create(ListenerOptions options)
    {
        ListenerProtocols.TryParse(options.Protocol, out var protocol);
        return protocol == ListenerProtocol.Udp
            ? new UdpGatewayListener(plane, options)
            : new StreamGatewayListener(plane, options, protocol);
    }

    private GatewayListener CreateChecked(ListenerOptions options)
    {
        try
        {
            return Create(options);
        }
        catch (CryptographicException ex)
        {
            throw CommandException.BadInput($"Cannot load the TLS certificate: {ex.Message}");
        }
    }
}

/// <summary>A configured, non-optional listener could not bind: the gateway does not start.</summary>
public sealed class ListenerBindException(string message, Exception inner) : Exception(message, inner);
