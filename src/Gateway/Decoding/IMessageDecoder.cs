using Gateway.Traffic;

namespace Gateway.Decoding;

/// <summary>Reads one message of a protocol. Runs off the data plane; must never throw for any input (see <see cref="Decoders.Decode"/>).</summary>
internal interface IMessageDecoder
{
    string Name { get; }

    /// <summary>Fills <paramref name="fields"/> and returns the summary (reading and updating the session's <paramref name="context"/>); throws <see cref="DecodeException"/> (or an index error) where the bytes stop making sense.</summary>
    string Decode(ReadOnlySpan<byte> message, Direction direction, List<DecodedField> fields, DecodeContext context);
}
