using System.Collections.Concurrent;
using Gateway.Listeners;
using Gateway.Sessions;

namespace Gateway.Decoding;

/// <summary>
/// Which decoder reads a session's messages: one asked for in the request, else the session's own choice
/// (<c>PUT /api/sessions/{id}/decoder</c>; the newest <see cref="MaxOverrides"/> are kept), else its listener's
/// <c>decoder</c>.
/// </summary>
internal sealed class DecoderChoices(ListenerManager listeners)
{
    public const int MaxOverrides = 10_000;

    private readonly ConcurrentDictionary<long, string> _overrides = new();
    private readonly ConcurrentQueue<long> _order = new();

    public static string Usage => string.Join(", ", Decoders.Names);

    /// <summary>Raised when a session's choice is set or cleared.</summary>
    public event Action? Changed;

    public bool AnyOverride => !_overrides.IsEmpty;

    /// <summary>The decoder for a message of a session (its own choice, else its listener's), or null: the decoding worker's question.</summary>
    public IMessageDecoder? For(long sessionId, string? listenerId)
    {
        var name = Of(sessionId) ?? (listenerId is null ? null : listeners.Find(listenerId)?.Decoder);
        return name is not null && Decoders.TryGet(name, out var decoder) ? decoder : null;
    }

    public void Set(long sessionId, string? decoder)
    {
        if (string.IsNullOrWhiteSpace(decoder))
        {
            _overrides.TryRemove(sessionId, out _);
            Changed?.Invoke();
            return;
        }

        if (!Decoders.TryGet(decoder, out var known))
        {
            throw CommandException.BadInput($"decoder '{decoder}' is not a decoder: use {Usage} (or null for the listener's).");
        }

        if (_overrides.TryAdd(sessionId, known.Name))
        {
            _order.Enqueue(sessionId);
            while (_overrides.Count > MaxOverrides && _order.TryDequeue(out var oldest))
            {
                _overrides.TryRemove(oldest, out _);
            }
        }
        else
        {
            _overrides[sessionId] = known.Name;
        }

        Changed?.Invoke();
    }

    public string? Of(long sessionId) => _overrides.GetValueOrDefault(sessionId);

    /// <summary>The decoder for a message of this session: <paramref name="asked"/>, the session's, or its listener's; a 400 when none.</summary>
    public IMessageDecoder Choose(SessionInfo session, string? asked)
    {
        var name = !string.IsNullOrWhiteSpace(asked) ? asked
            : Of(session.Id)
            ?? (session.ListenerId is { } listener ? listeners.Find(listener)?.Decoder : null);
        if (name is null)
        {
            throw CommandException.BadInput($"Session {session.Id} has no decoder: give ?decoder= ({Usage}), PUT /api/sessions/{session.Id}/decoder, or a listener decoder.");
        }

        return Decoders.TryGet(name, out var decoder)
            ? decoder
            : throw CommandException.BadInput($"decoder '{name}' is not a decoder: use {Usage}.");
    }
}
