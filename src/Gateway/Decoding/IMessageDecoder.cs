using Gateway.Traffic;

namespace Gateway.Decoding;

/// <summary>Reads one message of a protocol. Runs off the data plane; must never throw for any input (see <see cref="Decoders.Decode"/>).</summary>
internal interface IMessageDecoder
{
    string Name { get; }

    /// <summary>Whether it learns from a session's earlier messages (its <see cref="DecodeContext"/>); those that do not get a fresh one.</summary>
    bool UsesContext => false;

    /// <summary>Fills <paramref name="fields"/> and returns the summary (reading and updating the session's <paramref name="context"/>); throws <see cref="DecodeException"/> (or an index error) where the bytes stop making sense.</summary>
    string Decode(ReadOnlySpan<byte> message, Direction direction, List<DecodedField> fields, DecodeContext context);
}
