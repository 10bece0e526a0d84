namespace Gateway.Decoding;

/// <summary>A message as a decoder reads it: a one-line summary and a tree of fields with their byte ranges.</summary>
/// <param name="Decoder">The decoder's name (<c>resp</c>, <c>mqtt</c>, …).</param>
/// <param name="Summary">One line, e.g. <c>SET user:1 "alice"</c>.</param>
/// <param name="Fields">Top-level fields, in message order. Undecodable bytes end the tree with an <c>error</c> node.</param>
public sealed record DecodedMessage(string Decoder, string Summary, IReadOnlyList<DecodedField> Fields);

/// <summary>One field: where it is in the message, what it means, and what it holds.</summary>
/// <param name="Name">What the field is (<c>topic</c>, <c>function</c>; <c>error</c> where decoding stopped).</param>
/// <param name="Display">Its value as a person reads it.</param>
/// <param name="Offset">First byte, from the start of the message.</param>
/// <param name="Length">Bytes it covers.</param>
/// <param name="Children">Fields inside it; empty when none.</param>
public sealed record DecodedField(string Name, string Display, int Offset, int Length, IReadOnlyList<DecodedField> Children)
{
    public static DecodedField Leaf(string name, string display, int offset, int length) => new(name, display, offset, length, []);
}

/// <summary>Bytes that do not make the message the decoder expects: decoding stops there with an error node.</summary>
internal sealed class DecodeException(string message, int offset) : Exception(message)
{
    public int Offset { get; } = offset;
}
