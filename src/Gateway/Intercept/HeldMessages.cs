using System.Collections.Concurrent;
using Gateway.Sessions;
using Gateway.Traffic;

namespace Gateway.Intercept;

/// <summary>
/// Every message held by interception, across relays. What follows a held message waits behind it in its
/// relay direction (a TCP relay's hold lane, bounded by <c>Gateway:Intercept:MaxHeldPerSession</c>; a UDP
/// relay's datagram queue), so order is kept and memory stays bounded.
/// </summary>
internal sealed class HeldMessages(TrafficEventBus bus, TimeProvider time, Microsoft.Extensions.Options.IOptions<Configuration.GatewayOptions> options,
    Cluster.ClusterNode? node = null)
{
    /// <summary>Ids are issued like session ids: in a cluster, unique across its nodes (the owner is the id mod 64).</summary>
    private readonly Cluster.ClusterNode _node = node ?? Cluster.ClusterNode.Single;

    /// <summary>The bytes relays may keep waiting, per session and gateway-wide.</summary>
    public HoldBudget Budget { get; } = new(options.Value.Intercept.MaxHeldBytesPerSession, options.Value.Intercept.MaxHeldBytes);

    private readonly ConcurrentDictionary<long, HeldMessage> _held = new();
    private long _nextId;

    public int Count => _held.Count;

    /// <summary>Every held message, oldest first, each with a preview of its payload.</summary>
    public IReadOnlyList<HeldInfo> List() => _held.Values.OrderBy(h => h.Id).Select(h => h.Info).ToArray();

    /// <summary>One held message with its whole payload.</summary>
    public HeldInfo Get(long id) =>
        _held.TryGetValue(id, out var held) ? held.Whole : throw CommandException.NotFound($"Held message {id} does not exist (or was already decided).");

    /// <summary>Registers and announces a held message; its <see cref="HeldMessage.Decision"/> completes when it is decided.</summary>
    public HeldMessage Hold(Session session, Direction direction, byte[] payload)
    {
        var held = new HeldMessage(_node.IdOf(Interlocked.Increment(ref _nextId)), session, direction, time.GetUtcNow(), payload, options.Value.Intercept.PreviewBytes);
        _held[held.Id] = held;
        bus.Publish(new MessageHeld(held.Info));
        return held;
    }

    /// <summary>Holds a message until it is forwarded (returns the payload to send) or dropped (returns null).</summary>
    public async Task<byte[]?> HoldAsync(Session session, Direction direction, byte[] payload, CancellationToken cancellationToken)
    {
        var held = Hold(session, direction, payload);
        try
        {
            return await held.Decision.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Release(held, "released", 0);
            throw;
        }
    }

    /// <summary>Forwards a held message, as it was or replaced.</summary>
    public HeldReleasedInfo Forward(long id, byte[]? replacement)
    {
        var held = Take(id);
        var payload = replacement ?? held.Payload;
        held.TryForward(payload);
        return Release(held, replacement is null ? "forwarded" : "edited", payload.Length);
    }

    public HeldReleasedInfo Drop(long id)
    {
        var held = Take(id);
        held.TryDrop();
        return Release(held, "dropped", 0);
    }

    /// <summary>A session closed: what it still held is released (never forwarded).</summary>
    public void Forget(Session session)
    {
        foreach (var held in _held.Values.Where(h => h.Session == session))
        {
            if (held.TryDrop())
            {
                Release(held, "released", 0);
            }
        }
    }

    /// <summary>Forwards, unchanged, everything a listener holds (its interception was turned off).</summary>
    public void ReleaseAll(string listenerId)
    {
        foreach (var held in _held.Values.Where(h => string.Equals(h.Session.ListenerId, listenerId, StringComparison.OrdinalIgnoreCase)))
        {
            if (_held.TryRemove(held.Id, out _) && held.TryForward(held.Payload))
            {
                Release(held, "released", held.Info.Size);
            }
        }
    }

    private HeldMessage Take(long id) =>
        _held.TryRemove(id, out var held) ? held : throw CommandException.NotFound($"Held message {id} does not exist (or was already decided).");

    private HeldReleasedInfo Release(HeldMessage held, string action, int size)
    {
        _held.TryRemove(held.Id, out _);
        var info = new HeldReleasedInfo(held.Id, held.Session.Id, action, size);
        bus.Publish(new HeldReleased(info));
        return info;
    }
}
