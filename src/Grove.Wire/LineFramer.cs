using System.Buffers;

namespace Grove.Wire;

/// <summary>What <see cref="LineFramer.TryReadLine"/> found in the buffer.</summary>
public enum FrameResult
{
    /// <summary>No complete line yet: read more bytes.</summary>
    NeedMore,
    /// <summary>A complete line (without its CR/LF) is in the out parameter.</summary>
    Line,
    /// <summary>A line crossed the maximum length. Its bytes were dropped up to and including its end.</summary>
    TooLong,
}

/// <summary>
/// Splits a byte stream into lines ending in LF (a CR before the LF is removed).
/// The maximum length is part of the contract: a longer line is reported once as <see cref="FrameResult.TooLong"/>
/// and the rest of it is discarded as it arrives, so a peer can never make us buffer more than the limit.
/// One instance per connection; not thread-safe.
/// </summary>
public sealed class LineFramer(int maxLineBytes)
{
    private bool _discarding;

    public int MaxLineBytes { get; } = maxLineBytes;

    /// <summary>
    /// Looks for one line at the start of <paramref name="buffer"/> and slices the buffer past what was consumed.
    /// </summary>
    public FrameResult TryReadLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        line = default;
        while (true)
        {
            var newline = buffer.PositionOf((byte)'\n');
            if (_discarding)
            {
                if (newline is null)
                {
                    buffer = buffer.Slice(buffer.End);
                    return FrameResult.NeedMore;
                }
                buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
                _discarding = false;
                continue;
            }

            if (newline is null)
            {
                if (buffer.Length > MaxLineBytes)
                {
                    // The line is already too long and has not ended: report it now and drop the rest as it comes.
                    _discarding = true;
                    buffer = buffer.Slice(buffer.End);
                    return FrameResult.TooLong;
                }
                return FrameResult.NeedMore;
            }

            var candidate = buffer.Slice(0, newline.Value);
            buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
            if (candidate.Length > 0 && EndsWithCr(candidate))
                candidate = candidate.Slice(0, candidate.Length - 1);
            if (candidate.Length > MaxLineBytes)
                return FrameResult.TooLong;
            line = candidate;
            return FrameResult.Line;
        }
    }

    private static bool EndsWithCr(in ReadOnlySequence<byte> seq)
    {
        if (seq.IsSingleSegment)
            return seq.FirstSpan[^1] == (byte)'\r';
        return seq.Slice(seq.Length - 1).FirstSpan[0] == (byte)'\r';
    }
}
