// mqtt-packet writes each packet id from a cache of 65,536 two-byte Buffers, made at its first
// write and kept for the process: ~6.5 MB of heap in each thread that writes MQTT (the embedded
// broker's thread at 5,000 units: 6.3 MB of its ~100 MB, the largest single item of its heap
// snapshot). Its documented switch makes a two-byte Buffer per id instead, nothing next to the
// packet around it. Imported for its effect by every module that writes MQTT, before any write.
import mqttPacket from 'mqtt-packet';

mqttPacket.writeToStream.cacheNumbers = false;
