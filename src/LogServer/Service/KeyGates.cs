using System.Collections.Concurrent;

namespace Attest.LogServer.Service;

/// <summary>
/// Makes a mint's check of its key's state atomic with rotate and compromise, without a lock on the mint path.
/// </summary>
/// <remarks>
/// A mint reads the key's state from the registry, then signs and appends; the registry shows a rotation or
/// compromise only once that key event is durable and indexed. Without a gate, a mint could read "active", and then
/// be sequenced after the key event that ended the key, logging an attestation under a key already rotated or
/// compromised. So each kid has a gate:
/// - a mint enters it (counted with Interlocked) before reading the key's state, and leaves once its entry is
///   acknowledged, or refused; a mint finding the gate closed is refused (409 key_not_active);
/// - a key event closes the gate, waits until every mint inside has left (their entries are then in the log, before
///   the key event's), appends the key event, and reopens the gate only when the event failed. After it, the
///   registry shows the key's new state, which refuses mints by itself (also after a restart, when gates start open).
/// Entering costs two interlocked operations and a dictionary read: nothing is allocated per mint.
/// </remarks>
public sealed class KeyGates
{
    private readonly ConcurrentDictionary<string, Gate> gates = new(StringComparer.Ordinal);

    /// <summary>False when a key event has closed the kid's gate; on true, the caller MUST call <see cref="Leave"/> once.</summary>
    public bool TryEnter(string kid, out Gate gate)
    {
        gate = gates.GetOrAdd(kid, static _ => new Gate());
        return gate.TryEnter();
    }

    /// <summary>Closes the kid's gate and waits until no mint is inside. Callers are serialized (one key event at a time).</summary>
    public Task Close(string kid) => gates.GetOrAdd(kid, static _ => new Gate()).Close();

    /// <summary>Opens the kid's gate again after a key event that was not logged.</summary>
    public void Reopen(string kid)
    {
        if (gates.TryGetValue(kid, out var gate)) gate.Reopen();
    }

    public sealed class Gate
    {
        private int inside;
        private int closed;
        private TaskCompletionSource? drained;

        internal bool TryEnter()
        {
            // Increment, then read `closed`; Close writes `closed`, then reads `inside`. Both are full fences
            // (Interlocked), so a mint and a key event cannot both miss each other.
            Interlocked.Increment(ref inside);
            if (Volatile.Read(ref closed) == 0) return true;
            Leave();
            return false;
        }

        public void Leave()
        {
            if (Interlocked.Decrement(ref inside) == 0 && Volatile.Read(ref closed) == 1) Volatile.Read(ref drained)?.TrySetResult();
        }

        internal Task Close()
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref drained, done);
            Interlocked.Exchange(ref closed, 1);
            if (Volatile.Read(ref inside) == 0) done.TrySetResult();
            return done.Task;
        }

        internal void Reopen() => Interlocked.Exchange(ref closed, 0);
    }
}
