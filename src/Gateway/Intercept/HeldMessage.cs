using Gateway.Sessions;
using Gateway.Traffic;

namespace Gateway.Intercept;

/// <summary>A relayed message waiting for a decision; the relay direction it came from waits with it.</summary>
internal sealed class HeldMessage(long id, Session session, Direction direction, DateTimeOffset at, byte[] data, int previewBytes)
{
    private readonly TaskCompletionSource<byte[]?> _decision = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long Id { get; } = id;

    public Session Session { get; } = session;

    public Direction Direction { get; } = direction;

    /// <summary>The payload to forward, or null once dropped.</summary>
    public Task<byte[]?> Decision => _decision.Task;

    /// <summary>The whole payload as it was read.</summary>
    public byte[] Payload { get; } = data;

    /// <summary>As lists and the hub show it: the first <c>Gateway:Intercept:PreviewBytes</c> bytes.</summary>
    public HeldInfo Info { get; } = new(id, session.Id, session.ListenerId, direction, at, data.Length,
        data.Length > previewBytes ? data[..previewBytes] : data, data.Length > previewBytes);

    /// <summary>With the whole payload: <c>GET /api/held/{id}</c>.</summary>
    public HeldInfo Whole => Info with { Data = Payload, Truncated = false };

    public bool TryForward(byte[] payload) => _decision.TrySetResult(payload);

    public bool TryDrop() => _decision.TrySetResult(null);
}

/// <summary>A held message as the API and the hub show it.</summary>
/// <param name="Id">Held message id, for forward and drop.</param>
/// <param name="SessionId">The relay session.</param>
/// <param name="ListenerId">The relay listener.</param>
/// <param name="Direction"><c>in</c> (client→upstream) or <c>out</c> (upstream→client).</param>
/// <param name="At">When it was read.</param>
/// <param name="Size">Payload size.</param>
/// <param name="Data">Payload, base64: in lists and hub events its first <c>Gateway:Intercept:PreviewBytes</c> bytes.</param>
/// <param name="Truncated">Data is a preview; <c>GET /api/held/{id}</c> gives the whole message.</param>
public sealed record HeldInfo(long Id, long SessionId, string? ListenerId, Direction Direction, DateTimeOffset At, int Size, byte[] Data, bool Truncated);

/// <summary>What became of a held message.</summary>
/// <param name="Id">Held message id.</param>
/// <param name="SessionId">The relay session.</param>
/// <param name="Action"><c>forwarded</c>, <c>edited</c> (forwarded with a replacement), <c>dropped</c>, or <c>released</c> (interception turned off, or the session closed).</param>
/// <param name="Size">Bytes forwarded (0 when dropped).</param>
public sealed record HeldReleasedInfo(long Id, long SessionId, string Action, int Size);
