using System.Buffers;

namespace Gateway.Framing;

/// <summary>Cuts complete frames off the front of a buffer; what is left is an incomplete frame.</summary>
internal interface IFrameParser
{
    /// <summary>
    /// When <paramref name="buffer"/> starts with a complete frame, returns true with the message in
    /// <paramref name="frame"/> and <paramref name="buffer"/> advanced past it.
    /// </summary>
    /// <exception cref="FrameTooLargeException">The frame can never fit the configured maximum.</exception>
    bool TryRead(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame);

    /// <summary>The largest payload <see cref="Encode"/> accepts.</summary>
    long MaxPayload { get; }

    /// <summary>The bytes on the wire for a payload injected by a user (e.g. with its length prefix).</summary>
    byte[] Encode(byte[] payload);
}

/// <summary>A peer announced or sent a frame larger than <c>Gateway:Framing:MaxFrameBytes</c>.</summary>
internal sealed class FrameTooLargeException(string message) : Exception(message);
