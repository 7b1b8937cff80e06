package org.fdcap.it.thirdparty;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.SerialMergeScheduler;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.TieredMergePolicy;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.NIOFSDirectory;

/**
 * Apache Lucene, unmodified, the way a search service refreshes: documents are added and deleted
 * in batches, each batch committed, and a point-in-time reader opened on every commit and kept.
 * Merges run as the index grows and delete the segment files no commit refers to any more — files
 * the older readers still hold open (a FileChannel per file, NIOFSDirectory). At the end every
 * reader, newest and oldest, is searched: the old ones read deleted files. Prints, per reader, its
 * document count and a CRC of the ids and stored fields each query finds; stderr gets how many
 * files the index has at the end and how many segment files were deleted while readers held them.
 *
 * <p>Merges run on the writer's thread ({@code SerialMergeScheduler}) so that the segments, and so
 * every line printed, are the same from run to run.
 *
 * <p>Usage: {@code LuceneReadersUnderMerges dir commits docsPerCommit}
 */
public final class LuceneReadersUnderMerges {
    private static final String[] WORDS = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf",
        "hotel", "india", "juliett", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo",
        "sierra", "tango", "uniform", "victor", "whiskey", "xray", "yankee", "zulu"};

    private LuceneReadersUnderMerges() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int commits = Integer.parseInt(args[1]);
        int docsPerCommit = Integer.parseInt(args[2]);
        Random random = new Random(7);
        List<DirectoryReader> readers = new ArrayList<>();
        TreeSet<String> everSeen = new TreeSet<>();
        try (NIOFSDirectory index = new NIOFSDirectory(dir)) {
            TieredMergePolicy merges = new TieredMergePolicy();
            merges.setSegmentsPerTier(4);
            merges.setNoCFSRatio(0.0); // no compound files: every segment is several files
            IndexWriterConfig config = new IndexWriterConfig(new StandardAnalyzer())
                    .setMergePolicy(merges)
                    .setMergeScheduler(new SerialMergeScheduler())
                    .setUseCompoundFile(false)
                    .setOpenMode(IndexWriterConfig.OpenMode.CREATE);
            try (IndexWriter writer = new IndexWriter(index, config)) {
                int id = 0;
                for (int c = 0; c < commits; c++) {
                    for (int d = 0; d < docsPerCommit; d++, id++) {
                        Document doc = new Document();
                        doc.add(new StringField("id", Integer.toString(id), Field.Store.YES));
                        StringBuilder text = new StringBuilder();
                        for (int w = 0; w < 10; w++) {
                            text.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
                        }
                        doc.add(new TextField("body", text.toString(), Field.Store.NO));
                        doc.add(new StoredField("payload", text.reverse().toString()));
                        writer.addDocument(doc);
                    }
                    if (c % 3 == 2) {
                        writer.deleteDocuments(new Term("id", Integer.toString(random.nextInt(id))));
                    }
                    writer.commit();
                    DirectoryReader reader = DirectoryReader.open(index);
                    readers.add(reader);
                    try (Stream<Path> files = Files.list(dir)) {
                        files.forEach(f -> everSeen.add(f.getFileName().toString()));
                    }
                }
            }
            TreeSet<String> left = new TreeSet<>();
            try (Stream<Path> files = Files.list(dir)) {
                files.forEach(f -> left.add(f.getFileName().toString()));
            }
            everSeen.removeAll(left);
            System.err.println("lucene: " + readers.size() + " readers, " + left.size() + " index files left, "
                    + everSeen.size() + " deleted while readers may hold them");
            for (int r = 0; r < readers.size(); r++) {
                DirectoryReader reader = readers.get(r);
                IndexSearcher searcher = new IndexSearcher(reader);
                CRC32 crc = new CRC32();
                for (String word : new String[] {"alpha", "mike", "zulu"}) {
                    TopDocs top = searcher.search(new TermQuery(new Term("body", word)), 200);
                    TreeSet<String> found = new TreeSet<>();
                    for (ScoreDoc sd : top.scoreDocs) {
                        Document doc = searcher.storedFields().document(sd.doc);
                        found.add(doc.get("id") + ":" + doc.get("payload"));
                    }
                    for (String f : found) {
                        crc.update(f.getBytes(StandardCharsets.UTF_8));
                    }
                }
                System.out.println("reader " + r + " segments " + reader.leaves().size() + " docs " + reader.numDocs()
                        + " crc " + crc.getValue());
            }
            for (DirectoryReader reader : readers) {
                reader.close();
            }
        }
    }
}
